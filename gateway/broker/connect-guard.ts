/**
 * Per-address connection budget: a token bucket per client address (mqtt.connectLimit), so a
 * flood of connections from one address (wrong passwords, a reconnect loop) is refused cheaply,
 * at accept, before aedes parses a CONNECT or a password is hashed, while other addresses
 * connect as usual. A connection over the budget is closed without an answer (a device's client
 * retries with its reconnect back-off); the address is logged once and counted.
 *
 * The budget is generous on purpose (a school's devices may reach the gateway through one NAT
 * address and all reconnect at once after a power cut); what keeps one address from taking the
 * password-hashing slots is the verifier's per-address share (credential-verifier.ts).
 * Addresses in `exempt` (a load balancer that does not pass the client's address) are not
 * limited. Buckets are kept for at most `maxAddresses` addresses: a full bucket is forgotten first.
 */
import type { BlockList } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../contract/clock.js';
import type { Counters } from '../core/counters.js';
import { addressList, allowedAddress } from '../http/address-list.js';

export interface ConnectLimitOptions {
  /** Sustained CONNECTs per second per address; 0 turns the budget off. */
  perSecond: number;
  /** CONNECTs an address may make at once after being quiet. */
  burst: number;
  /** Addresses and CIDR blocks that are not limited. */
  exempt: readonly string[];
  /** Extra connections taken from the budget by each refused authentication (wrong password, hashing share used up). */
  failurePenalty: number;
}

export interface ThrottledAddress {
  address: string;
  /** CONNECTs refused since the address was first throttled (while remembered). */
  refused: number;
  firstAt: number;
  lastAt: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** How many addresses' buckets (and throttled records) are remembered at most. */
export const MAX_ADDRESSES = 10_000;

export class ConnectGuard {
  private readonly buckets = new Map<string, Bucket>();
  private readonly throttledBy = new Map<string, ThrottledAddress>();
  private readonly exempt: BlockList;

  constructor(
    private readonly opts: ConnectLimitOptions,
    private readonly counters: Counters,
    private readonly clock: Clock,
    private readonly log?: Logger,
    private readonly maxAddresses = MAX_ADDRESSES,
  ) {
    this.exempt = addressList(opts.exempt);
  }

  /** Takes one CONNECT from the address's budget; false when it has none left (refuse it). */
  admit(address: string): boolean {
    if (this.opts.perSecond <= 0 || allowedAddress(this.exempt, address)) return true;
    const now = this.clock.now();
    let b = this.buckets.get(address);
    if (!b) {
      if (this.buckets.size >= this.maxAddresses) this.sweep(now);
      b = { tokens: this.opts.burst, at: now };
      this.buckets.set(address, b);
    } else {
      b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) / 1000) * this.opts.perSecond);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    this.counters.inc('mqtt.connect.throttled');
    let t = this.throttledBy.get(address);
    if (!t) {
      if (this.throttledBy.size >= this.maxAddresses) this.throttledBy.delete(this.throttledBy.keys().next().value as string);
      t = { address, refused: 0, firstAt: now, lastAt: now };
      this.throttledBy.set(address, t);
      this.counters.inc('mqtt.connect.throttled-addresses');
      this.log?.warn({ address, perSecond: this.opts.perSecond, burst: this.opts.burst }, 'mqtt connect budget exceeded: address throttled');
    }
    t.refused++;
    t.lastAt = now;
    return false;
  }

  /**
   * An authentication from the address failed: its budget pays `failurePenalty` more (down to
   * at most one burst in debt), so a wrong-password flood is throttled after a few dozen tries
   * while a reconnect storm of right passwords pays one connection each.
   */
  penalize(address: string): void {
    if (this.opts.perSecond <= 0 || this.opts.failurePenalty <= 0) return;
    const b = this.buckets.get(address);
    if (b) b.tokens = Math.max(-this.opts.burst, b.tokens - this.opts.failurePenalty);
  }

  /** Addresses refused for their budget, most refused first. */
  throttled(): ThrottledAddress[] {
    return [...this.throttledBy.values()].map((t) => ({ ...t })).sort((a, b) => b.refused - a.refused);
  }

  /** Forgets buckets that have refilled (nothing to remember), then the oldest if still full. */
  private sweep(now: number): void {
    const fullAfterMs = (this.opts.burst / this.opts.perSecond) * 1000;
    for (const [address, b] of this.buckets) if (now - b.at >= fullAfterMs) this.buckets.delete(address);
    while (this.buckets.size >= this.maxAddresses) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
