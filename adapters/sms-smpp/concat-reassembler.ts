/**
 * Reassembles concatenated inbound messages (replies longer than one SMS). Pure.
 * Parts are identified by the UDH concatenation IE, 8-bit reference 0x00 (3GPP TS 23.040
 * §9.2.3.24.1) or 16-bit reference 0x08 (§9.2.3.24.8), or by the SMPP sar_* TLVs
 * (SMPP 3.4 §5.3.2.22–24), and keyed by sender so two phones cannot mix their parts.
 */
export interface ConcatInfo {
  ref: number;
  total: number;
  /** 1-based. */
  index: number;
}

/** Concatenation info from a list of UDH information elements, each `[IEI, IEDL, …data]`. */
export function concatFromIes(ies: readonly Uint8Array[]): ConcatInfo | undefined {
  for (const ie of ies) {
    if (ie[0] === 0x00 && ie[1] === 0x03 && ie.length >= 5) return { ref: ie[2] as number, total: ie[3] as number, index: ie[4] as number };
    if (ie[0] === 0x08 && ie[1] === 0x04 && ie.length >= 6) {
      return { ref: ((ie[2] as number) << 8) | (ie[3] as number), total: ie[4] as number, index: ie[5] as number };
    }
  }
  return undefined;
}

/** Splits a raw UDH (starting with its length octet UDHL) into information elements. */
export function splitUdh(udh: Uint8Array): Uint8Array[] {
  const ies: Uint8Array[] = [];
  const end = Math.min(udh.length, 1 + (udh[0] ?? 0));
  let i = 1;
  while (i + 1 < end) {
    const len = udh[i + 1] as number;
    ies.push(udh.subarray(i, Math.min(end, i + 2 + len)));
    i += 2 + len;
  }
  return ies;
}

export type ReassemblyResult = { complete: true; text: string; parts: number } | { complete: false };

export interface ExpiredMessage {
  key: string;
  /** What arrived, in part order; missing parts are left out. */
  text: string;
  received: number;
  total: number;
}

interface Pending {
  key: string;
  total: number;
  texts: Map<number, string>;
  firstAt: number;
}

export class ConcatReassembler {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.pending.size;
  }

  add(key: string, info: ConcatInfo, text: string, now: number): ReassemblyResult {
    if (info.total <= 1 || info.index < 1 || info.index > info.total) return { complete: true, text, parts: 1 };
    const id = `${key}\u0000${info.ref}\u0000${info.total}`;
    const p = this.pending.get(id) ?? { key, total: info.total, texts: new Map<number, string>(), firstAt: now };
    // A resent part (the SMSC lost our deliver_sm_resp) replaces, never duplicates.
    p.texts.set(info.index, text);
    this.pending.set(id, p);
    if (p.texts.size < p.total) return { complete: false };
    this.pending.delete(id);
    return { complete: true, text: this.join(p), parts: p.total };
  }

  /** Gives up on messages whose parts stopped coming; the caller decides what to do with them. */
  expire(now: number): ExpiredMessage[] {
    const out: ExpiredMessage[] = [];
    for (const [id, p] of this.pending) {
      if (now - p.firstAt < this.timeoutMs) continue;
      this.pending.delete(id);
      out.push({ key: p.key, text: this.join(p), received: p.texts.size, total: p.total });
    }
    return out;
  }

  private join(p: Pending): string {
    return [...p.texts.entries()].sort(([a], [b]) => a - b).map(([, t]) => t).join('');
  }
}
