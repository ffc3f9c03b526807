/** The header values the gateway reads and writes (RFC 3261 §20), parsed into fields. */
import { GB_ERRORS } from './errors.js';

const malformed = (detail: string) => GB_ERRORS.error('GW_ERR_GB_SIP_MALFORMED', detail);

export interface NameAddr {
  /** The SIP URI without angle brackets: `sip:34020000001320000001@3402000000`. */
  uri: string;
  /** The URI's user part (a GB/T 28181 id), if any. */
  user?: string;
  host: string;
  port?: number;
  /** Header parameters after the address (`tag`, `expires`). */
  params: Record<string, string>;
}

/** Parameters `;a=b;c` into a record (a flag without value maps to ''). */
export function parseParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) out[p.toLowerCase()] = '';
    else out[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** RFC 3261 §20.20/§20.39/§20.10 (From, To, Contact): `["name"] <sip:user@host:port;uri-params>;params` or a bare URI. */
export function parseNameAddr(value: string): NameAddr {
  let uri: string;
  let rest: string;
  const lt = value.indexOf('<');
  if (lt >= 0) {
    const gt = value.indexOf('>', lt);
    if (gt < 0) throw malformed(`unclosed < in ${JSON.stringify(value.slice(0, 80))}`);
    uri = value.slice(lt + 1, gt).trim();
    rest = value.slice(gt + 1);
  } else {
    // Without brackets, parameters belong to the header (§20.10).
    const semi = value.indexOf(';');
    uri = (semi < 0 ? value : value.slice(0, semi)).trim();
    rest = semi < 0 ? '' : value.slice(semi);
  }
  const m = /^sips?:(?:([^@;?]*)@)?([^;?:]+|\[[^\]]+\])(?::(\d{1,5}))?/i.exec(uri);
  if (!m) throw malformed(`not a SIP URI: ${JSON.stringify(uri.slice(0, 80))}`);
  const port = m[3] === undefined ? undefined : Number(m[3]);
  return { uri, ...(m[1] ? { user: decodeURIComponent(m[1]) } : {}), host: m[2] as string, ...(port !== undefined ? { port } : {}), params: parseParams(rest) };
}

export interface Via {
  transport: string;
  host: string;
  port?: number;
  params: Record<string, string>;
}

/** RFC 3261 §20.42: `SIP/2.0/UDP host[:port];branch=…;rport`. */
export function parseVia(value: string): Via {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+([^;:\s]+|\[[^\]]+\])(?::(\d{1,5}))?\s*(.*)$/i.exec(value.trim());
  if (!m) throw malformed(`Via ${JSON.stringify(value.slice(0, 80))}`);
  const port = m[3] === undefined ? undefined : Number(m[3]);
  return { transport: (m[1] as string).toUpperCase(), host: m[2] as string, ...(port !== undefined ? { port } : {}), params: parseParams(m[4] ?? '') };
}

export interface CSeq {
  seq: number;
  method: string;
}

/** RFC 3261 §20.16: `1*DIGIT LWS Method`. */
export function parseCSeq(value: string): CSeq {
  const m = /^(\d{1,10})\s+([A-Za-z]+)$/.exec(value.trim());
  if (!m) throw malformed(`CSeq ${JSON.stringify(value.slice(0, 40))}`);
  return { seq: Number(m[1]), method: (m[2] as string).toUpperCase() };
}

/** A fresh branch with the RFC 3261 §8.1.1.7 magic cookie. */
export function newBranch(random: () => string): string {
  return `z9hG4bK${random()}`;
}
