/**
 * Finds the submitted part a receipt is about. Pure.
 *
 * SMPP 3.4 Appendix B says the receipt `id:` is the message_id of submit_sm_resp, but SMSCs
 * disagree on its spelling: hex in submit_sm_resp and decimal in the receipt or the other
 * way round, zero-padded or not (jookies/jasmin#210, MavoCz/smscsim#4,
 * opentelecoms-org/jsmpp#56; Kannel's `msg-id-type` setting exists for this). In 'flexible'
 * mode an id that does not match exactly is compared by numeric value under both readings,
 * and matches only when exactly one submitted part fits, so a guess never lands on the
 * wrong recipient.
 */
export type IdMatchMode = 'exact' | 'flexible';

const DEC = /^[0-9]{1,40}$/;
const HEX = /^[0-9a-f]{1,32}$/;

/** Numeric values an id may stand for: its decimal and its hexadecimal reading. */
export function numericReadings(id: string): string[] {
  const s = id.trim().toLowerCase();
  const out = new Set<string>();
  if (DEC.test(s)) out.add(BigInt(s).toString());
  if (HEX.test(s)) out.add(BigInt(`0x${s}`).toString());
  return [...out];
}

export class MessageIdIndex<T> {
  private readonly exact = new Map<string, T>();
  private readonly numeric = new Map<string, Set<string>>();

  constructor(private readonly mode: IdMatchMode) {}

  get size(): number {
    return this.exact.size;
  }

  add(id: string, value: T): void {
    const key = id.trim().toLowerCase();
    this.exact.set(key, value);
    if (this.mode === 'flexible') {
      for (const n of numericReadings(key)) {
        const set = this.numeric.get(n) ?? new Set<string>();
        set.add(key);
        this.numeric.set(n, set);
      }
    }
  }

  delete(id: string): void {
    const key = id.trim().toLowerCase();
    if (!this.exact.delete(key)) return;
    for (const n of numericReadings(key)) {
      const set = this.numeric.get(n);
      set?.delete(key);
      if (set?.size === 0) this.numeric.delete(n);
    }
  }

  find(id: string): T | undefined {
    const key = id.trim().toLowerCase();
    const hit = this.exact.get(key);
    if (hit !== undefined || this.mode === 'exact') return hit;
    const candidates = new Set<string>();
    for (const n of numericReadings(key)) for (const k of this.numeric.get(n) ?? []) candidates.add(k);
    if (candidates.size !== 1) return undefined;
    const [only] = candidates;
    return only === undefined ? undefined : this.exact.get(only);
  }
}
