/**
 * SIP messages (RFC 3261 §7): a start line, header fields, an empty line and a body of
 * Content-Length bytes. Parsing is strict where the framing depends on it (start line, header
 * syntax, Content-Length) and lenient where devices in the field differ: bare LF line ends
 * (a GB/T 28181 platform script captured in Talbot3/FlyLab sends them, and cameras accept them),
 * padded Content-Length values (`Content-Length:   178`, Dahua), folded header lines (§7.3.1),
 * compact header names (§7.3.3) and any header case (§7.3.5).
 */
import { GB_ERRORS } from './errors.js';

export interface SipHeader {
  /** As on the wire (compact forms expanded by the accessors, not here). */
  name: string;
  value: string;
}

interface SipBase {
  headers: SipHeader[];
  body: Buffer;
}

export interface SipRequest extends SipBase {
  kind: 'request';
  method: string;
  uri: string;
}

export interface SipResponse extends SipBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** RFC 3261 §7.3.3 compact forms. */
const COMPACT: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
};

/** The longest message accepted (a catalog answer of a large NVR is split by SumNum anyway). */
export const MAX_SIP_MESSAGE = 64 * 1024;

const canonical = (name: string): string => {
  const lower = name.toLowerCase();
  return COMPACT[lower] ?? lower;
};

const malformed = (detail: string) => GB_ERRORS.error('GW_ERR_GB_SIP_MALFORMED', detail);

// RFC 3261 §25.1: token characters (methods, header names).
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** First value of a header (any case, compact form or not), trimmed. */
export function header(msg: SipBase, name: string): string | undefined {
  const want = canonical(name);
  return msg.headers.find((h) => canonical(h.name) === want)?.value;
}

/** Every value of a header, comma-separated lists split (Via, Contact: §7.3.1), in order. */
export function headerValues(msg: SipBase, name: string): string[] {
  const want = canonical(name);
  return msg.headers.filter((h) => canonical(h.name) === want).flatMap((h) => splitList(h.value));
}

/** Splits a header value on commas outside quotes and angle brackets. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let angle = 0;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && ch === '<') angle++;
    else if (!quoted && ch === '>') angle = Math.max(0, angle - 1);
    else if (!quoted && angle === 0 && ch === ',') {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v.length > 0);
}

/** Where the header section ends: index of the empty line and its length (CRLF CRLF or LF LF). */
export function headerEnd(buf: Buffer, from = 0): { at: number; length: number } | undefined {
  for (let i = from; i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    // i is an LF: the next line is empty if it is LF or CR LF.
    if (buf[i + 1] === 0x0a) return { at: i + 1, length: 1 };
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return { at: i + 1, length: 2 };
  }
  return undefined;
}

/** The declared body length, or undefined when the header is absent; throws when it is not a number. */
export function contentLength(headers: SipHeader[]): number | undefined {
  const raw = headers.find((h) => canonical(h.name) === 'content-length')?.value;
  if (raw === undefined) return undefined;
  // RFC 3261 §20.14: 1*DIGIT; leading/trailing whitespace is LWS around the colon.
  if (!/^\d{1,9}$/.test(raw.trim())) throw malformed(`Content-Length ${JSON.stringify(raw.slice(0, 20))}`);
  return Number(raw.trim());
}

/** Parses the start line and headers (the bytes before the empty line). */
function parseHead(head: string): { start: string; headers: SipHeader[] } {
  const lines = head.split(/\r?\n/);
  const start = lines.shift() ?? '';
  const headers: SipHeader[] = [];
  for (const line of lines) {
    if (line === '') continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header.
      const last = headers[headers.length - 1];
      if (!last) throw malformed('continuation line before any header');
      last.value = `${last.value} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed(`header line without a name: ${JSON.stringify(line.slice(0, 60))}`);
    const name = line.slice(0, colon).trim();
    if (!TOKEN.test(name)) throw malformed(`header name ${JSON.stringify(name.slice(0, 40))}`);
    headers.push({ name, value: line.slice(colon + 1).trim() });
  }
  return { start, headers };
}

function parseStart(start: string, headers: SipHeader[], body: Buffer): SipMessage {
  // RFC 3261 §7.2: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase.
  const status = /^SIP\/2\.0 ([1-6]\d\d) ?(.*)$/.exec(start);
  if (status) return { kind: 'response', status: Number(status[1]), reason: status[2] ?? '', headers, body };
  // RFC 3261 §7.1: Request-Line = Method SP Request-URI SP SIP-Version.
  const request = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) SIP\/2\.0$/.exec(start);
  if (request) return { kind: 'request', method: request[1] as string, uri: request[2] as string, headers, body };
  throw malformed(`start line ${JSON.stringify(start.slice(0, 80))}`);
}

/**
 * One message from a datagram (RFC 3261 §18.3: a UDP datagram carries exactly one message;
 * a body longer than Content-Length is truncated to it, a shorter one is an error).
 */
export function parseSipDatagram(buf: Buffer): SipMessage {
  if (buf.length > MAX_SIP_MESSAGE) throw malformed(`${buf.length} bytes, more than ${MAX_SIP_MESSAGE}`);
  const end = headerEnd(buf);
  // A datagram may omit the empty line when there is no body (seen from some devices).
  const headBytes = end ? buf.subarray(0, end.at) : buf;
  const { start, headers } = parseHead(headBytes.toString('latin1'));
  const rest = end ? buf.subarray(end.at + end.length) : Buffer.alloc(0);
  const declared = contentLength(headers);
  if (declared !== undefined && declared > rest.length) throw malformed(`Content-Length ${declared} but ${rest.length} body bytes`);
  const body = Buffer.from(declared === undefined ? rest : rest.subarray(0, declared));
  return parseStart(start, headers, body);
}

/**
 * Serializes with CRLF line ends and a Content-Length equal to the body (RFC 3261 §18.3 requires
 * it on stream transports; we always send it). Any Content-Length in `headers` is replaced.
 */
export function serializeSip(msg: SipMessage): Buffer {
  const start = msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  const lines = [start];
  for (const h of msg.headers) {
    if (canonical(h.name) === 'content-length') continue;
    if (/[\r\n]/.test(h.name) || /[\r\n]/.test(h.value)) throw malformed(`header ${h.name} holds a line break`);
    lines.push(`${h.name}: ${h.value}`);
  }
  lines.push(`Content-Length: ${msg.body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), msg.body]);
}

/** A text of a message's body, for logs and the XML codec (bodies are bytes; GB bodies declare their charset). */
export function describeSip(msg: SipMessage): string {
  return msg.kind === 'request' ? `${msg.method} ${msg.uri}` : `${msg.status} ${msg.reason}`;
}
