/**
 * Text ↔ CMPP Msg_Content. Pure.
 *
 * Outbound (SUBMIT) is always UCS-2, Msg_Fmt 8 (CMPP 2.0 §7.4.3.1, 3.0 §8.4.3.1): broadcast
 * texts are Chinese, and ISMGs disagree about what Msg_Fmt 0 allows (ASCII up to 159 octets
 * by the spec, 140 by many gateways, and how that combines with a UDH), while UCS-2 is read
 * the same way everywhere. Msg_Length is at most 140 octets for it, so:
 * - up to 70 UTF-16 code units: one SUBMIT, TP_udhi 0;
 * - longer: parts of at most 67 code units, each after the 6-octet UDH `05 00 03 ref total seq`
 *   (concatenation IE 0x00, 8-bit reference, 3GPP TS 23.040 §9.2.3.24.1), TP_udhi 1
 *   (TS 23.040 §9.2.3.23, as §8.4.3.1 refers to it), Pk_total / Pk_number the part count and
 *   number. No part ends inside a surrogate pair, so each part decodes on its own.
 *
 * Inbound (DELIVER from a phone) is decoded by Msg_Fmt: 8 UCS-2, 15 GB (read as GBK, its
 * superset), 0 ASCII, anything else Latin-1; with TP_udhi 1 the UDH comes off first and its
 * concatenation IE (0x00, or 0x08 with a 16-bit reference, §9.2.3.24.8) is returned.
 */
import { MSG_FMT } from './cmpp-constants.js';
import { CMPP_ERRORS } from './errors.js';

export const UCS2_LIMITS = { single: 70, part: 67, maxParts: 255 } as const;

export interface MtPart {
  /** 1-based. */
  index: number;
  total: number;
  tpUdhi: 0 | 1;
  msgFmt: number;
  content: Buffer;
}

export function ucs2(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

export function concatUdh(ref: number, total: number, index: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, index]);
}

function chunks(text: string, max: number): string[] {
  const out: string[] = [];
  let current = '';
  // for…of walks code points: a surrogate pair (2 code units) is never split.
  for (const ch of text) {
    if (current.length + ch.length > max) {
      out.push(current);
      current = '';
    }
    current += ch;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** How many parts `text` needs (validates it): the adapter checks this before queueing anything. */
export function partCount(text: string): number {
  if (text.length === 0) throw CMPP_ERRORS.error('GW_ERR_CMPP_EMPTY_TEXT', 'message text is empty');
  if (text.length <= UCS2_LIMITS.single) return 1;
  const n = chunks(text, UCS2_LIMITS.part).length;
  if (n > UCS2_LIMITS.maxParts) throw CMPP_ERRORS.error('GW_ERR_CMPP_TOO_LONG', `text needs ${n} parts; at most ${UCS2_LIMITS.maxParts} can be concatenated`);
  return n;
}

/** The SUBMIT contents for `text`; `ref` (0..255) must differ between long messages in flight to one phone. */
export function segmentMt(text: string, ref: number): MtPart[] {
  const n = partCount(text);
  if (n === 1) return [{ index: 1, total: 1, tpUdhi: 0, msgFmt: MSG_FMT.UCS2, content: ucs2(text) }];
  return chunks(text, UCS2_LIMITS.part).map((t, i) => ({
    index: i + 1,
    total: n,
    tpUdhi: 1,
    msgFmt: MSG_FMT.UCS2,
    content: Buffer.concat([concatUdh(ref, n, i + 1), ucs2(t)]),
  }));
}

export interface ConcatInfo {
  ref: number;
  total: number;
  /** 1-based. */
  index: number;
}

export interface MoText {
  text: string;
  concat?: ConcatInfo;
}

export function decodeText(bytes: Buffer, msgFmt: number): string {
  switch (msgFmt) {
    case MSG_FMT.UCS2:
      return Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2))).swap16().toString('utf16le');
    case MSG_FMT.GB:
      return new TextDecoder('gbk').decode(bytes);
    case MSG_FMT.ASCII:
      return bytes.toString('ascii');
    default:
      return bytes.toString('latin1');
  }
}

/** Splits a UDH (from its length octet) into IEs and finds a concatenation IE. */
export function readUdh(content: Buffer): { concat?: ConcatInfo; headerLength: number } {
  const udhl = content[0];
  if (udhl === undefined || 1 + udhl > content.length) return { headerLength: 0 };
  let i = 1;
  let concat: ConcatInfo | undefined;
  while (i + 1 < 1 + udhl) {
    const iei = content[i] as number;
    const len = content[i + 1] as number;
    const data = content.subarray(i + 2, Math.min(1 + udhl, i + 2 + len));
    if (!concat && iei === 0x00 && len === 3 && data.length === 3) concat = { ref: data[0] as number, total: data[1] as number, index: data[2] as number };
    if (!concat && iei === 0x08 && len === 4 && data.length === 4) concat = { ref: ((data[0] as number) << 8) | (data[1] as number), total: data[2] as number, index: data[3] as number };
    i += 2 + len;
  }
  return { headerLength: 1 + udhl, ...(concat ? { concat } : {}) };
}

export function decodeMo(content: Buffer, msgFmt: number, tpUdhi: number): MoText {
  if ((tpUdhi & 0x01) === 0) return { text: decodeText(content, msgFmt) };
  const { concat, headerLength } = readUdh(content);
  const text = decodeText(content.subarray(headerLength), msgFmt);
  return concat ? { text, concat } : { text };
}

export type Reassembled = { complete: true; text: string; parts: number } | { complete: false };

export interface ExpiredMo {
  from: string;
  text: string;
  received: number;
  total: number;
}

/** Puts multi-part replies back together, keyed by sender so two phones never mix their parts. */
export class MoReassembler {
  private readonly pending = new Map<string, { from: string; total: number; texts: Map<number, string>; firstAt: number }>();

  constructor(private readonly timeoutMs: number) {}

  add(from: string, info: ConcatInfo | undefined, text: string, now: number): Reassembled {
    if (!info || info.total <= 1 || info.index < 1 || info.index > info.total) return { complete: true, text, parts: 1 };
    const key = `${from}\u0000${info.ref}\u0000${info.total}`;
    const p = this.pending.get(key) ?? { from, total: info.total, texts: new Map<number, string>(), firstAt: now };
    // A part delivered again (our DELIVER_RESP was lost) replaces itself, never duplicates.
    p.texts.set(info.index, text);
    this.pending.set(key, p);
    if (p.texts.size < p.total) return { complete: false };
    this.pending.delete(key);
    return { complete: true, text: join(p.texts), parts: p.total };
  }

  expire(now: number): ExpiredMo[] {
    const out: ExpiredMo[] = [];
    for (const [key, p] of this.pending) {
      if (now - p.firstAt < this.timeoutMs) continue;
      this.pending.delete(key);
      out.push({ from: p.from, text: join(p.texts), received: p.texts.size, total: p.total });
    }
    return out;
  }
}

function join(texts: Map<number, string>): string {
  return [...texts.entries()].sort(([a], [b]) => a - b).map(([, t]) => t).join('');
}
