/**
 * SDP for GB/T 28181 live view (2016 §9.2.2, Annex G; RFC 4566): the platform offers to receive
 * PS over RTP (payload type 96, `PS/90000`) on one of its ports, `s=Play`, the channel in `u=`,
 * the SSRC in the GB field `y=` (10 digits: 0 for live, then the domain's 5 digits and a serial).
 * Over TCP (RFC 4571 framing, 2016 Annex L) the platform listens (`a=setup:passive`).
 */
export interface SdpOffer {
  platformId: string;
  channelId: string;
  ip: string;
  port: number;
  transport: 'udp' | 'tcp';
  ssrc: string;
}

export function buildOffer(o: SdpOffer): Buffer {
  const lines = [
    'v=0',
    `o=${o.platformId} 0 0 IN IP4 ${o.ip}`,
    's=Play',
    `u=${o.channelId}:0`,
    `c=IN IP4 ${o.ip}`,
    't=0 0',
    `m=video ${o.port} ${o.transport === 'tcp' ? 'TCP/RTP/AVP' : 'RTP/AVP'} 96`,
    'a=recvonly',
    'a=rtpmap:96 PS/90000',
    ...(o.transport === 'tcp' ? ['a=setup:passive', 'a=connection:new'] : []),
    `y=${o.ssrc}`,
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

export interface SdpMedia {
  ip?: string;
  port?: number;
  proto?: string;
  payloadTypes: number[];
  rtpmap: Record<number, string>;
  setup?: string;
  direction?: string;
  ssrc?: string;
  session?: string;
}

/** Reads what a live-view offer or answer says (the first video m= line). */
export function parseSdp(text: string): SdpMedia {
  const out: SdpMedia = { payloadTypes: [], rtpmap: {} };
  let inVideo = false;
  let seenMedia = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const type = line[0];
    const value = line.slice(2);
    if (line[1] !== '=') continue;
    if (type === 'm') {
      const [media, port, proto, ...fmts] = value.split(/\s+/);
      inVideo = !seenMedia && media === 'video';
      seenMedia = true;
      if (inVideo) {
        out.port = Number(port);
        if (proto !== undefined) out.proto = proto;
        out.payloadTypes = fmts.map(Number).filter((n) => Number.isInteger(n));
      }
      continue;
    }
    if (type === 'c' && (inVideo || !seenMedia)) {
      const ip = /^IN IP[46] (\S+)/.exec(value)?.[1];
      if (ip) out.ip = ip;
    } else if (type === 's') out.session = value;
    else if (type === 'y') out.ssrc = value;
    else if (type === 'a' && (inVideo || !seenMedia)) {
      const rtpmap = /^rtpmap:(\d+) (\S+)/.exec(value);
      if (rtpmap) out.rtpmap[Number(rtpmap[1])] = rtpmap[2] as string;
      else if (value.startsWith('setup:')) out.setup = value.slice(6);
      else if (['sendonly', 'recvonly', 'sendrecv', 'inactive'].includes(value)) out.direction = value;
    }
  }
  return out;
}
