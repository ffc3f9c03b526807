/**
 * Text helpers of the simulated SMSC, written independently of the adapter's codecs so the
 * integration tests compare two implementations, not one with itself.
 */

export interface ConcatRef {
  ref: number;
  total: number;
  index: number;
}

/** Concatenation IE (3GPP TS 23.040 §9.2.3.24.1 / .8) from the library's list of UDH IEs. */
export function concatOf(udh: unknown): ConcatRef | undefined {
  if (!Array.isArray(udh)) return undefined;
  for (const ie of udh) {
    if (!(ie instanceof Uint8Array)) continue;
    if (ie[0] === 0x00 && ie[1] === 3) return { ref: ie[2] ?? 0, total: ie[3] ?? 0, index: ie[4] ?? 0 };
    if (ie[0] === 0x08 && ie[1] === 4) return { ref: ((ie[2] ?? 0) << 8) | (ie[3] ?? 0), total: ie[4] ?? 0, index: ie[5] ?? 0 };
  }
  return undefined;
}

/** UDH octets as hex, for records ("050003070201"). */
export function udhHex(udh: unknown): string | undefined {
  if (!Array.isArray(udh) || udh.length === 0) return undefined;
  const ies = udh.filter((ie): ie is Uint8Array => ie instanceof Uint8Array);
  const body = Buffer.concat(ies.map((ie) => Buffer.from(ie)));
  return Buffer.concat([Buffer.from([body.length]), body]).toString('hex');
}

/** The decoded text of a short_message as the `smpp` package hands it. */
export function textOf(sm: unknown): string {
  if (typeof sm === 'string') return sm;
  if (sm instanceof Uint8Array) return Buffer.from(sm).toString('latin1');
  if (sm && typeof sm === 'object' && 'message' in sm) {
    const m = (sm as { message: unknown }).message;
    if (typeof m === 'string') return m;
    if (m instanceof Uint8Array) return Buffer.from(m).toString('latin1');
  }
  return '';
}

/** YYMMDDhhmm in UTC, as SMPP 3.4 Appendix B receipts carry dates. */
export function receiptDate(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}`;
}

/** SMPP 3.4 Appendix B delivery receipt text. `text` carries the first 20 characters when printable ASCII. */
export function receiptText(r: { id: string; stat: string; err: string; submittedAt: number; doneAt: number; text: string }): string {
  const first = /^[\x20-\x7e]*$/.test(r.text) ? r.text.slice(0, 20) : '';
  return `id:${r.id} sub:001 dlvrd:${r.stat === 'DELIVRD' ? '001' : '000'} submit date:${receiptDate(r.submittedAt)} done date:${receiptDate(r.doneAt)} stat:${r.stat} err:${r.err} text:${first}`;
}

/** message_state TLV value for a stat word (SMPP 3.4 §5.2.28). */
export const STAT_STATE: Readonly<Record<string, number>> = {
  ENROUTE: 1,
  DELIVRD: 2,
  EXPIRED: 3,
  DELETED: 4,
  UNDELIV: 5,
  ACCEPTD: 6,
  UNKNOWN: 7,
  REJECTD: 8,
};

/** GSM 7-bit extension-table characters: two septets each (3GPP TS 23.038 §6.2.1.1). */
const GSM_EXT = new Set(['^', '{', '}', '\\', '[', ']', '~', '|', '€', '\f']);

export interface MoPart {
  dataCoding: 0x00 | 0x08;
  text: string;
}

/**
 * A phone's reply as deliver_sm parts: plain ASCII goes as the default alphabet
 * (data_coding 0x00), anything else as UCS-2 (0x08); long text is split 153/67 per part.
 */
export function splitMo(text: string): MoPart[] {
  const ascii = /^[\x20-\x7e\n\r]*$/.test(text);
  const chars = [...text];
  const cost = (c: string) => (ascii ? (GSM_EXT.has(c) ? 2 : 1) : c.length);
  const total = chars.reduce((n, c) => n + cost(c), 0);
  const single = ascii ? 160 : 70;
  const per = ascii ? 153 : 67;
  const dataCoding = ascii ? 0x00 : 0x08;
  if (total <= single) return [{ dataCoding, text }];
  const parts: MoPart[] = [];
  let cur = '';
  let used = 0;
  for (const c of chars) {
    if (used + cost(c) > per) {
      parts.push({ dataCoding, text: cur });
      cur = '';
      used = 0;
    }
    cur += c;
    used += cost(c);
  }
  if (cur) parts.push({ dataCoding, text: cur });
  return parts;
}
