/**
 * The camera-gb28181 adapter: the gateway as a GB/T 28181 upper platform (SIP server). School
 * NVRs and IPCs REGISTER to it (registrar.ts), keep alive with MESSAGE Keepalive (§9.6), list
 * their channels when asked (Catalog, §9.5) and when they change (NOTIFY, §9.6.3/§9.11), report
 * alarms (§9.4), answer DeviceInfo/DeviceStatus in sweeps (check()), and stream a channel when
 * INVITEd (gb-live-view.ts).
 */
import type { Adapter, AdapterContext, CheckResult } from '../../gateway/contract/adapter.js';
import type { Timer } from '../../gateway/contract/clock.js';
import { errorMessage, GatewayError } from '../../gateway/contract/errors.js';
import type { Device } from '../../gateway/contract/types.js';
import type { HealthReasonCode } from '../../gateway/contract/vocabulary.js';
import { findFfmpeg } from '../shared/ffmpeg-binary.js';
import { mapAlarm } from './alarms.js';
import { CAMERA_GB28181_TYPE, DeviceMap } from './catalog.js';
import type { CameraGb28181Config } from './config.js';
import { GB_ERRORS } from './errors.js';
import { gbRole } from './gb-id.js';
import { GbLiveView } from './gb-live-view.js';
import { parseLocalTime } from './local-time.js';
import { isManscdp, MANSCDP_TYPE, parseManscdp, type CatalogItem, type Manscdp } from './manscdp.js';
import { QueryBook } from './queries.js';
import { DeviceRequests } from './device-requests.js';
import { Registrar, type Registration } from './registrar.js';
import { parseNameAddr } from './sip-headers.js';
import { header, type SipRequest } from './sip-message.js';
import { SipTransport, type SipPeer } from './sip-transport.js';

const DEFAULT_TZ = 'Asia/Shanghai';

export class CameraGb28181Adapter implements Adapter {
  private transport: SipTransport | undefined;
  private registrar: Registrar | undefined;
  private live: GbLiveView | undefined;
  private supervision: Timer | undefined;
  private readonly queries: QueryBook;
  private readonly map: DeviceMap;
  /** Recorder GB id of each channel, and each recorder's channels. */
  private readonly parentOf = new Map<string, string>();
  private readonly channelsOf = new Map<string, Set<string>>();
  private readonly requests: DeviceRequests;
  private readonly domain: string;

  constructor(
    private readonly config: CameraGb28181Config,
    private readonly ctx: AdapterContext,
  ) {
    this.queries = new QueryBook(ctx.clock);
    this.map = new DeviceMap(ctx, config);
    this.domain = config.domain ?? config.sipId.slice(0, 10);
    this.requests = new DeviceRequests({ config, domain: this.domain, queries: this.queries, transport: () => this.transport, registration: (id) => this.registrar?.registrations.get(id) });
  }

  /** The bound SIP port (UDP and TCP), once started. */
  get port(): number {
    return this.transport?.port ?? 0;
  }

  /** Current registrations by GB id (tests, the benchmark). */
  registrations(): ReadonlyMap<string, Registration> {
    return this.registrar?.registrations ?? new Map();
  }

  async start(): Promise<void> {
    if (this.transport) return;
    const { clock, log } = this.ctx;
    const transport = new SipTransport({
      host: this.config.host,
      port: this.config.port,
      transports: this.config.transports,
      log: log.child({ part: 'sip' }),
      clock,
      onRequest: (req, peer) => this.onRequest(req, peer),
      onMalformed: (detail, peer) => this.ctx.reject('gb-sip-malformed', `${peer.transport}:${peer.address}:${peer.port}: ${detail}`),
    });
    this.registrar = new Registrar({
      realm: this.domain,
      clock,
      transport,
      minExpires: this.config.registerExpires.min,
      maxExpires: this.config.registerExpires.max,
      timeZone: () => DEFAULT_TZ,
      password: (id) => this.config.passwords[id] ?? this.config.password,
      onRegistered: (reg, fresh) => this.onRegistered(reg, fresh),
      onUnregistered: (reg) => this.markGone(reg.gbId, 'offline', 'unregistered (Expires: 0)'),
      onAuthFailed: (gbId, known, why, peer) => {
        // Counted like any refused input; the device id only when the gateway knows it. A failed
        // REGISTER never adds a device (find, not resolve): ids that cannot log in create nothing.
        const device = known ? this.map.find(gbId) : undefined;
        this.ctx.reject('gb-auth-failed', `REGISTER from ${peer.address}:${peer.port}: ${known ? why : 'refused'}`, device?.id);
        if (device) this.ctx.setCondition(device.id, 'auth-failed', true, why);
      },
    });
    await transport.start();
    this.transport = transport;
    const ffmpeg = this.config.ffmpegPath ?? findFfmpeg()?.path;
    const lv = this.config.liveView;
    if (lv.maxStreams > 0 && ffmpeg) {
      this.live = new GbLiveView({
        ...lv,
        idleMs: lv.idleSeconds * 1000,
        startTimeoutMs: this.config.media.startTimeoutMs,
        ffmpegPath: ffmpeg,
        media: { transport: this.config.media.transport, host: this.config.media.host },
        log: log.child({ part: 'live-view' }),
        clock,
        validate: (id) => this.channelOf(id),
        invite: (id, offer) => {
          const { channelId, reg } = this.channelOf(id);
          return this.requests.invite(channelId, reg, offer);
        },
      });
    }
    const tickMs = Math.max(20, Math.min(1000, (this.config.keepalive.intervalSeconds * 1000) / 4));
    this.supervision = clock.setInterval(() => this.supervise(), tickMs);
    log.info({ port: transport.port, transports: this.config.transports, sipId: this.config.sipId }, 'GB/T 28181 SIP server listening');
  }

  async stop(): Promise<void> {
    const transport = this.transport;
    if (!transport) return;
    if (this.supervision) this.ctx.clock.clearInterval(this.supervision);
    this.supervision = undefined;
    const live = this.live;
    this.live = undefined;
    await live?.stop();
    this.queries.cancelAll(GB_ERRORS.error('GW_ERR_GB_STOPPED'));
    this.transport = undefined;
    await transport.stop();
  }

  liveView(): GbLiveView | undefined {
    return this.live;
  }

  /** Asks a recorder (by registry device id or GB id) for its catalog now; resolves with the items. */
  async queryCatalog(deviceOrGbId: string): Promise<CatalogItem[]> {
    const gbId = this.map.gbIdOf(deviceOrGbId) ?? deviceOrGbId;
    const items = (await this.requests.query(gbId, 'Catalog', gbId, this.config.requestTimeoutMs * 2)) as CatalogItem[];
    this.applyCatalog(gbId, items, false);
    return items;
  }

  /** A sweep's check: DeviceInfo of the recorder and DeviceStatus of the device itself. */
  async check(device: Device, signal: AbortSignal): Promise<CheckResult> {
    const gbId = this.map.gbIdOf(device.id);
    if (!gbId) return { status: 'unknown', reasons: [{ code: 'check-error', detail: 'no options.gbId' }], evidence: {} };
    const recorderId = this.parentOf.get(gbId) ?? gbId;
    const reg = this.registrar?.registrations.get(recorderId);
    if (!reg) return { status: 'offline', reasons: [{ code: 'offline', detail: `${recorderId} is not registered` }], evidence: { registered: false } };
    const evidence: Record<string, string | number | boolean> = { registered: true, transport: reg.peer.transport, keepaliveAgeSeconds: Math.round((this.ctx.clock.now() - reg.lastKeepalive) / 100) / 10 };
    if (reg.lost) return { status: 'offline', reasons: [{ code: 'gb-keepalive-lost', detail: `no keepalive for ${evidence.keepaliveAgeSeconds} s` }], evidence };
    const reasons: { code: HealthReasonCode; detail?: string }[] = [];
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.config.checkTimeoutMs)]);
    try {
      // A recorder's check also asks for its catalog again (the on-demand catalog of a sweep).
      const catalog = gbId === recorderId && gbRole(gbId) === 'recorder' ? this.queryCatalog(gbId) : undefined;
      const [info, status, items] = await Promise.all([this.requests.query(recorderId, 'DeviceInfo', recorderId, this.config.requestTimeoutMs, deadline), this.requests.query(recorderId, 'DeviceStatus', gbId, this.config.requestTimeoutMs, deadline), catalog]);
      if (items) evidence.catalogItems = items.length;
      if (!Array.isArray(info) && info.cmd === 'DeviceInfo') {
        Object.assign(evidence, { ...(info.manufacturer ? { manufacturer: info.manufacturer } : {}), ...(info.model ? { model: info.model } : {}), ...(info.firmware ? { firmware: info.firmware } : {}), ...(info.channel !== undefined ? { channels: info.channel } : {}) });
      }
      if (!Array.isArray(status) && status.cmd === 'DeviceStatus') {
        Object.assign(evidence, { ...(status.online ? { online: status.online } : {}), ...(status.status ? { status: status.status } : {}), ...(status.record ? { record: status.record } : {}), ...(status.encode ? { encode: status.encode } : {}) });
        if (status.online && status.online !== 'ONLINE') reasons.push({ code: gbId === recorderId ? 'offline' : 'gb-channel-off', detail: `DeviceStatus Online ${status.online}` });
        else if (status.status && status.status !== 'OK' && status.status !== 'ON') reasons.push({ code: 'fault', detail: `DeviceStatus Status ${status.status}${status.reason ? ` (${status.reason})` : ''}` });
        if (status.deviceTime) {
          const offset = this.clockOffset(device, status.deviceTime);
          if (offset !== undefined) {
            evidence.clockOffsetSeconds = Math.round(offset * 10) / 10;
            const drift = Math.abs(offset) > this.config.clockDriftSeconds;
            this.ctx.setCondition(device.id, 'clock-drift', drift, drift ? `device clock ${offset > 0 ? 'ahead' : 'behind'} by ${Math.abs(Math.round(offset))} s` : undefined);
            if (drift) reasons.push({ code: 'clock-drift', detail: `device clock off by ${Math.round(offset)} s` });
          }
        }
      }
    } catch (err) {
      reasons.push({ code: 'unreachable', detail: errorMessage(err) });
    }
    const offline = reasons.some((r) => r.code === 'unreachable' || r.code === 'offline' || r.code === 'gb-channel-off');
    return { status: offline ? 'offline' : reasons.length > 0 ? 'degraded' : 'ok', reasons, evidence };
  }

  // ── SIP requests from devices ─────────────────────────────────────────────────────────────

  private onRequest(req: SipRequest, peer: SipPeer): void {
    const transport = this.transport;
    if (!transport) return;
    try {
      switch (req.method) {
        case 'REGISTER':
          return this.registrar?.handle(req, peer);
        case 'MESSAGE':
        case 'NOTIFY':
          return this.onMessage(req, peer);
        case 'BYE': {
          transport.respond(req, peer, 200, 'OK');
          const ended = this.requests.dialogs.get(header(req, 'call-id') ?? '');
          ended?.();
          return;
        }
        case 'ACK':
          return;
        case 'OPTIONS':
          return transport.respond(req, peer, 200, 'OK', [{ name: 'Allow', value: 'REGISTER, MESSAGE, NOTIFY, INVITE, ACK, BYE, OPTIONS' }]);
        default:
          return transport.respond(req, peer, 501, 'Not Implemented');
      }
    } catch (err) {
      this.ctx.reject('gb-sip-malformed', `${req.method} from ${peer.address}:${peer.port}: ${errorMessage(err)}`);
      try {
        transport.respond(req, peer, 400, 'Bad Request');
      } catch {
        // nothing to answer on
      }
    }
  }

  private onMessage(req: SipRequest, peer: SipPeer): void {
    const transport = this.transport as SipTransport;
    const from = parseNameAddr(header(req, 'from') ?? '').user ?? '';
    const reg = this.registrar?.registrations.get(from);
    // §9.1.2: only registered devices are heard; the answer says nothing about ids.
    if (!reg) {
      transport.respond(req, peer, 403, 'Forbidden');
      return;
    }
    if (!isManscdp(header(req, 'content-type'))) {
      transport.respond(req, peer, 415, 'Unsupported Media Type', [{ name: 'Accept', value: MANSCDP_TYPE }]);
      return;
    }
    let body: Manscdp;
    try {
      body = parseManscdp(req.body);
    } catch (err) {
      transport.respond(req, peer, 400, 'Bad Request');
      this.ctx.reject('gb-xml-malformed', `${req.method} from ${from}: ${errorMessage(err)}`, this.map.resolve(from)?.id);
      return;
    }
    transport.respond(req, peer, 200, 'OK');
    this.seen(reg, req);
    switch (body.cmd) {
      case 'Keepalive':
        return;
      case 'Alarm':
        return this.onAlarm(reg.gbId, body);
      case 'Catalog':
        if (this.queries.answer(body)) return;
        // An unasked catalog is a change notification (NOTIFY after SUBSCRIBE, or MESSAGE Notify).
        this.applyCatalog(reg.gbId, body.items, true);
        return;
      default:
        this.queries.answer(body);
    }
  }

  /** Any message from a registered device is a sign of life; its Date header tells its clock. */
  private seen(reg: Registration, req: SipRequest): void {
    reg.lastKeepalive = this.ctx.clock.now();
    if (reg.lost) {
      reg.lost = false;
      this.forFamily(reg.gbId, (id) => this.ctx.setCondition(id, 'gb-keepalive-lost', false));
    }
    const date = header(req, 'date');
    const device = this.map.resolve(reg.gbId);
    if (date && device) {
      const offset = this.clockOffset(device, date);
      if (offset !== undefined) this.ctx.setCondition(device.id, 'clock-drift', Math.abs(offset) > this.config.clockDriftSeconds, `device clock off by ${Math.round(offset)} s (Date header)`);
    }
  }

  private clockOffset(device: Device, text: string): number | undefined {
    const tz = this.ctx.devices.site(device.siteId)?.timeZone ?? DEFAULT_TZ;
    const at = parseLocalTime(text, tz) ?? (/GMT|UTC|[+-]\d{2}:?\d{2}$/.test(text) ? Date.parse(text) : Number.NaN);
    return Number.isFinite(at) ? ((at as number) - this.ctx.clock.now()) / 1000 : undefined;
  }

  private onAlarm(fromId: string, a: Extract<Manscdp, { cmd: 'Alarm' }>): void {
    const device = this.map.resolve(a.deviceId) ?? this.map.resolve(fromId);
    const mapped = mapAlarm(a);
    if (!device || !mapped) {
      this.ctx.reject('gb-alarm-unmapped', `alarm from ${fromId} for ${a.deviceId}: method ${a.method ?? '?'} type ${a.alarmType ?? '?'}`, device?.id);
      return;
    }
    const at = a.time ? parseLocalTime(a.time, this.ctx.devices.site(device.siteId)?.timeZone ?? DEFAULT_TZ) : undefined;
    this.ctx
      .emit({ deviceId: device.id, type: mapped.type, ...(at !== undefined ? { at } : {}), data: { ...mapped.data, gbId: a.deviceId } })
      .catch((err: unknown) => this.ctx.reject('refused-by-core', `${mapped.type}: ${errorMessage(err)}`, device.id));
  }

  // ── registrations, keepalive supervision, catalog ─────────────────────────────────────────

  private onRegistered(reg: Registration, fresh: boolean): void {
    const device = this.map.resolve(reg.gbId);
    if (device) {
      this.ctx.setCondition(device.id, 'auth-failed', false);
    }
    this.forFamily(reg.gbId, (id) => {
      this.ctx.setCondition(id, 'offline', false);
      this.ctx.setCondition(id, 'gb-keepalive-lost', false);
    });
    if (!fresh) return;
    this.ctx.log.info({ gbId: reg.gbId, deviceId: device?.id, transport: reg.peer.transport }, 'GB/T 28181 device registered');
    if (gbRole(reg.gbId) !== 'recorder' && device?.kind === 'camera') return; // an IPC is its own channel
    if (this.config.catalogOnRegister) {
      this.queryCatalog(reg.gbId).catch((err: unknown) => this.ctx.log.warn({ gbId: reg.gbId, err: errorMessage(err) }, 'catalog query after registration failed'));
    }
    if (this.config.subscribeCatalog) this.requests.subscribe(reg).catch((err: unknown) => this.ctx.log.debug({ gbId: reg.gbId, err: errorMessage(err) }, 'catalog SUBSCRIBE refused'));
  }

  /** Applies catalog items of a recorder: channels become devices; Status OFF or Event OFF/DEL is gb-channel-off. */
  private applyCatalog(recorderId: string, items: CatalogItem[], change: boolean): void {
    const kids = this.channelsOf.get(recorderId) ?? new Set<string>();
    this.channelsOf.set(recorderId, kids);
    for (const item of items) {
      if (item.deviceId === recorderId) continue;
      let role: ReturnType<typeof gbRole>;
      try {
        role = gbRole(item.deviceId);
      } catch {
        this.ctx.reject('gb-catalog-item', `${recorderId}: item id ${JSON.stringify(item.deviceId.slice(0, 24))} is not a GB/T 28181 id`);
        continue;
      }
      if (role !== 'camera') continue; // organisations, alarm inputs: not cameras
      const device = this.map.resolve(item.deviceId, { ...(item.name ? { name: item.name } : {}), parentId: recorderId });
      if (!device) {
        this.ctx.reject('gb-channel-unmapped', `${recorderId}: channel ${item.deviceId} matches no configured device, channel or prefix`);
        continue;
      }
      kids.add(item.deviceId);
      this.parentOf.set(item.deviceId, recorderId);
      const event = item.event;
      const off = event === 'OFF' || event === 'DEL' || (event === undefined || event === 'ADD' || event === 'UPDATE' ? item.status === 'OFF' : false);
      const on = event === 'ON' || ((event === undefined || event === 'ADD' || event === 'UPDATE') && item.status !== 'OFF');
      if (off || on) this.ctx.setCondition(device.id, 'gb-channel-off', off, off ? `${recorderId} lists the channel ${event === 'DEL' ? 'deleted' : 'OFF'}` : undefined);
      if (event === 'VLOST') this.emitQuiet(device.id, 'video-loss', { active: true, detail: 'catalog event VLOST' });
      if (event === 'DEFECT') this.emitQuiet(device.id, 'fault', { code: 'defect', detail: 'catalog event DEFECT' });
      const reg = this.registrar?.registrations.get(recorderId);
      if (reg && !change) this.ctx.setCondition(device.id, 'gb-keepalive-lost', reg.lost);
    }
  }

  private emitQuiet(deviceId: string, type: 'video-loss' | 'fault', data: Record<string, string | boolean>): void {
    this.ctx.emit({ deviceId, type, data }).catch((err: unknown) => this.ctx.reject('refused-by-core', `${type}: ${errorMessage(err)}`, deviceId));
  }

  /** The recorder's registry device and its channels' devices. */
  private forFamily(recorderId: string, fn: (deviceId: string) => void): void {
    const own = this.map.resolve(recorderId);
    if (own) fn(own.id);
    for (const ch of this.channelsOf.get(recorderId) ?? []) {
      const d = this.map.resolve(ch);
      if (d) fn(d.id);
    }
  }

  private markGone(recorderId: string, code: HealthReasonCode, detail: string): void {
    this.forFamily(recorderId, (id) => this.ctx.setCondition(id, code, true, detail));
  }

  private supervise(): void {
    const registrar = this.registrar;
    if (!registrar) return;
    const now = this.ctx.clock.now();
    for (const reg of [...registrar.registrations.values()]) {
      if (now >= reg.expiresAt) {
        registrar.expire(reg.gbId);
        this.markGone(reg.gbId, 'offline', 'registration expired (no refresh before Expires)');
        continue;
      }
      const options = this.map.resolve(reg.gbId)?.options ?? {};
      const interval = (typeof options.keepaliveSeconds === 'number' ? options.keepaliveSeconds : this.config.keepalive.intervalSeconds) * 1000;
      const misses = typeof options.keepaliveMisses === 'number' ? options.keepaliveMisses : this.config.keepalive.misses;
      if (!reg.lost && now - reg.lastKeepalive > interval * misses) {
        reg.lost = true;
        this.ctx.log.warn({ gbId: reg.gbId, misses }, 'GB/T 28181 keepalive lost');
        this.markGone(reg.gbId, 'gb-keepalive-lost', `no keepalive for ${Math.round((now - reg.lastKeepalive) / 1000)} s (${misses} × ${interval / 1000} s)`);
      }
    }
  }

  // ── requests to devices ───────────────────────────────────────────────────────────────────

  /** The channel's GB id and its recorder's registration, for the live view. */
  private channelOf(deviceId: string): { channelId: string; reg: Registration } {
    const device = this.ctx.devices.get(deviceId);
    const channelId = device && device.adapter === CAMERA_GB28181_TYPE && device.kind === 'camera' ? this.map.gbIdOf(deviceId) : undefined;
    if (!channelId) throw new GatewayError('GW_ERR_UNKNOWN_DEVICE', `${deviceId} is not a camera-gb28181 channel`);
    const recorderId = this.parentOf.get(channelId) ?? channelId;
    const reg = this.registrar?.registrations.get(recorderId);
    if (!reg || reg.lost) throw GB_ERRORS.error('GW_ERR_GB_NOT_REGISTERED', `${deviceId} (${recorderId}${reg?.lost ? ': keepalive lost' : ''})`);
    return { channelId, reg };
  }
}

export { CAMERA_GB28181_TYPE };
