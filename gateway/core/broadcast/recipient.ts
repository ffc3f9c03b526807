/**
 * Per-person state rules, addresses, roll-call code matching and the tally. Pure.
 */
import type { RecipientSpec } from './types.js';
import type { BroadcastRecipient, Contact, RecipientState } from './types.js';
import type { ChannelName } from '../../contract/capabilities.js';

/** Order of progress on one channel; failed stands apart (final for that channel). */
const RANK: Record<RecipientState, number> = { queued: 0, sent: 1, delivered: 2, confirmed: 3, failed: -1 };

/**
 * Whether `next` may replace `current` on the same channel. Progress only moves forward (a
 * late ENROUTE after DELIVRD changes nothing); confirmed is final; failed is final except
 * that the person answering still confirms.
 */
export function canMove(current: RecipientState, next: RecipientState): boolean {
  if (current === 'confirmed') return false;
  if (current === 'failed') return next === 'confirmed';
  if (next === 'failed') return current !== 'delivered';
  return RANK[next] > RANK[current];
}

/** Digits only, without the Chinese country code: 8613805710101, +86 138…, 0086… → 138…. */
export function normalizePhone(p: string): string {
  const d = p.replace(/\D/g, '');
  const m = /^(?:0086|86)(1\d{10})$/.exec(d);
  return m ? (m[1] as string) : d;
}

export function samePhone(a: string, b: string): boolean {
  const x = normalizePhone(a);
  return x.length > 0 && x === normalizePhone(b);
}

/** The address of a person on a channel, or undefined when they cannot be reached on it. */
export function addressOn(channel: ChannelName, c: Contact): string | undefined {
  if (channel === 'sms') return c.phone;
  return c.radio ? (c.radio.unit ?? c.radio.talkgroup) : undefined;
}

const WORD = /[0-9A-Za-z]/;

/**
 * A reply confirms when, after NFKC (full-width digits) and trimming, it equals a code or
 * starts with one: "收到，北门已关闭" confirms; "10分钟后到" does not confirm code "1"
 * because an ASCII code must end at a word boundary.
 */
export function isRollCallConfirm(text: string, codes: readonly string[]): boolean {
  const t = text.normalize('NFKC').trim().replace(/^[\s"'“”‘’「」【】[\]()（）.。,，!！]+/, '');
  return codes.some((raw) => {
    const code = raw.normalize('NFKC').trim();
    if (code.length === 0 || !t.toLowerCase().startsWith(code.toLowerCase())) return false;
    const next = t.charAt(code.length);
    return next === '' || !WORD.test(code.charAt(code.length - 1)) || !WORD.test(next);
  });
}

/** The person has what the policy asks for on the current channel: no fallback needed. */
export function satisfied(r: BroadcastRecipient, unless: 'delivered' | 'confirmed'): boolean {
  return r.state === 'confirmed' || (unless === 'delivered' && r.state === 'delivered');
}

/**
 * Rows for a new broadcast: each person on the first channel of `channels` they have an
 * address for, due to fall back after `fallbackMs` when another channel remains; a person
 * with no usable address fails at once ('no-address') so the board shows who was missed.
 */
export function initialRecipients(specs: readonly RecipientSpec[], channels: readonly ChannelName[], now: number, fallbackMs: number): BroadcastRecipient[] {
  return specs.map((s, i): BroadcastRecipient => {
    const usable = channels.filter((c) => addressOn(c, s) !== undefined);
    const base = { ...s, id: `r${i + 1}`, channels: usable, attempts: [] };
    const first = usable[0];
    if (!first) return { ...base, state: 'failed', reason: 'no-address', detail: `no address for ${channels.join('/')}`, at: { failed: now } };
    return { ...base, channel: first, address: addressOn(first, s) as string, state: 'queued', at: { queued: now }, ...(usable.length > 1 ? { fallbackAt: now + fallbackMs } : {}) };
  });
}
