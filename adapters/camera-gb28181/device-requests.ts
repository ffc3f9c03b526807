/**
 * What the platform asks of registered devices (GB/T 28181-2016): MESSAGE queries answered later
 * by SN (§9.5), the catalog SUBSCRIBE (§9.11), and the live-view dialog INVITE / ACK / BYE
 * (§9.2.2). Requests leave by the transport and address the device registered from.
 */
import type { CameraGb28181Config } from './config.js';
import { GB_ERRORS } from './errors.js';
import type { MediaSession } from './gb-live-view.js';
import { MANSCDP_TYPE, queryBody, type CatalogItem, type Manscdp, type QueryCmd } from './manscdp.js';
import type { QueryBook } from './queries.js';
import type { Registration } from './registrar.js';
import { buildOffer, parseSdp } from './sdp.js';
import { parseNameAddr } from './sip-headers.js';
import { header, type SipHeader, type SipRequest, type SipResponse } from './sip-message.js';
import { randomToken, type SipTransport } from './sip-transport.js';

export interface DeviceRequestsDeps {
  config: CameraGb28181Config;
  domain: string;
  queries: QueryBook;
  transport(): SipTransport | undefined;
  registration(gbId: string): Registration | undefined;
}

export class DeviceRequests {
  /** Live-view dialogs by Call-ID: the device's BYE ends them. */
  readonly dialogs = new Map<string, () => void>();
  private cseq = 1;

  constructor(private readonly deps: DeviceRequestsDeps) {}

  private get config(): CameraGb28181Config {
    return this.deps.config;
  }

  private get domain(): string {
    return this.deps.domain;
  }

  advertised(): string {
    return this.config.advertisedHost ?? (this.config.host === '0.0.0.0' || this.config.host === '::' ? '127.0.0.1' : this.config.host);
  }

  newRequest(method: string, target: string, reg: Registration, extra: SipHeader[], body: Buffer, dialog?: { callId: string; fromTag: string; toTag?: string; cseq: number }): SipRequest {
    const uri = reg.gbId === target ? reg.contact : `sip:${target}@${this.domain}`;
    return {
      kind: 'request',
      method,
      uri,
      headers: [
        { name: 'From', value: `<sip:${this.config.sipId}@${this.domain}>;tag=${dialog?.fromTag ?? randomToken(4)}` },
        { name: 'To', value: `<sip:${target}@${this.domain}>${dialog?.toTag ? `;tag=${dialog.toTag}` : ''}` },
        { name: 'Call-ID', value: dialog?.callId ?? `${randomToken(8)}@${this.advertised()}` },
        { name: 'CSeq', value: `${dialog?.cseq ?? this.cseq++} ${method}` },
        { name: 'Max-Forwards', value: '70' },
        { name: 'User-Agent', value: 'campus-gateway' },
        ...extra,
      ],
      body,
    };
  }

  async query(recorderId: string, cmd: QueryCmd, targetId: string, timeoutMs: number, signal?: AbortSignal): Promise<Manscdp | CatalogItem[]> {
    const transport = this.deps.transport();
    const reg = this.deps.registration(recorderId);
    if (!transport || !reg) throw GB_ERRORS.error('GW_ERR_GB_NOT_REGISTERED', recorderId);
    const sn = this.deps.queries.nextSn();
    const answer = this.deps.queries.expect(cmd, targetId, sn, timeoutMs);
    answer.catch(() => undefined);
    const req = this.newRequest('MESSAGE', recorderId, reg, [{ name: 'Content-Type', value: MANSCDP_TYPE }], queryBody(cmd, sn, targetId));
    const res = await transport.request(reg.peer, req, this.config.requestTimeoutMs, this.advertised());
    if (res.status !== 200) throw GB_ERRORS.error('GW_ERR_GB_REFUSED', `${cmd} to ${recorderId}: ${res.status} ${res.reason}`);
    if (!signal) return answer;
    return Promise.race([answer, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(GB_ERRORS.error('GW_ERR_GB_TIMEOUT', `${cmd} of ${targetId}`)), { once: true }))]);
  }

  async subscribe(reg: Registration): Promise<void> {
    const transport = this.deps.transport();
    if (!transport) return;
    const sn = this.deps.queries.nextSn();
    const req = this.newRequest('SUBSCRIBE', reg.gbId, reg, [{ name: 'Event', value: `Catalog;id=${sn}` }, { name: 'Expires', value: '3600' }, { name: 'Content-Type', value: MANSCDP_TYPE }, { name: 'Contact', value: `<sip:${this.config.sipId}@${this.advertised()}:${transport.port}>` }], queryBody('Catalog', sn, reg.gbId));
    const res = await transport.request(reg.peer, req, this.config.requestTimeoutMs, this.advertised());
    if (res.status >= 300) throw GB_ERRORS.error('GW_ERR_GB_REFUSED', `SUBSCRIBE: ${res.status} ${res.reason}`);
  }

  /** INVITE (2016 §9.2.2): SDP offer to receive PS/RTP, 200 OK with the device's SDP, ACK; BYE ends it. */
  async invite(channelId: string, reg: Registration, offer: { port: number; transport: 'udp' | 'tcp' }): Promise<MediaSession> {
    const transport = this.deps.transport();
    if (!transport) throw GB_ERRORS.error('GW_ERR_GB_STOPPED');
    // y= SSRC: 0 (live), the domain's digits 4–8, a 4-digit serial (2016 Annex F).
    const ssrc = `0${this.domain.slice(3, 8)}${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;
    const mediaIp = this.config.advertisedHost ?? this.config.media.host;
    const dialog = { callId: `${randomToken(8)}@${this.advertised()}`, fromTag: randomToken(4), cseq: this.cseq++ };
    const sdp = buildOffer({ platformId: this.config.sipId, channelId, ip: mediaIp, port: offer.port, transport: offer.transport, ssrc });
    const req = this.newRequest(
      'INVITE',
      channelId,
      reg,
      [
        { name: 'Contact', value: `<sip:${this.config.sipId}@${this.advertised()}:${transport.port}>` },
        { name: 'Subject', value: `${channelId}:${ssrc},${this.config.sipId}:0` },
        { name: 'Content-Type', value: 'APPLICATION/SDP' },
      ],
      sdp,
      dialog,
    );
    const res: SipResponse = await transport.request(reg.peer, req, this.config.media.startTimeoutMs, this.advertised());
    if (res.status !== 200) throw GB_ERRORS.error('GW_ERR_GB_REFUSED', `INVITE ${channelId}: ${res.status} ${res.reason}`);
    const answer = parseSdp(res.body.toString('utf8'));
    if (answer.rtpmap[96] !== undefined && !/^PS\/90000$/i.test(answer.rtpmap[96])) throw GB_ERRORS.error('GW_ERR_GB_MEDIA', `INVITE ${channelId}: answered ${answer.rtpmap[96]}, not PS/90000`);
    const toTag = parseNameAddr(header(res, 'to') ?? '').params.tag;
    const inDialog = { ...dialog, ...(toTag ? { toTag } : {}) };
    // RFC 3261 §13.2.2.4: the ACK of a 2xx is its own transaction, same CSeq number.
    const ack = this.newRequest('ACK', channelId, reg, [{ name: 'Via', value: `SIP/2.0/${reg.peer.transport.toUpperCase()} ${this.advertised()}:${transport.port};rport;branch=z9hG4bK${randomToken(10)}` }], Buffer.alloc(0), inDialog);
    transport.send(reg.peer, ack);
    const ended: (() => void)[] = [];
    this.dialogs.set(dialog.callId, () => {
      this.dialogs.delete(dialog.callId);
      for (const cb of ended) cb();
    });
    let byeSent = false;
    return {
      onEnded: (cb) => ended.push(cb),
      bye: async () => {
        if (byeSent || !this.dialogs.has(dialog.callId)) return;
        byeSent = true;
        this.dialogs.delete(dialog.callId);
        const bye = this.newRequest('BYE', channelId, reg, [], Buffer.alloc(0), { ...inDialog, cseq: dialog.cseq + 1 });
        await this.deps.transport()?.request(reg.peer, bye, this.config.requestTimeoutMs, this.advertised());
      },
    };
  }
}
