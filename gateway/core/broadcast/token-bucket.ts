/**
 * Token bucket (rate `perSecond`, capacity `burst`), refilled lazily from the clock. Pure
 * apart from reading the time; whoever waits sets their own timer from msUntil().
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    if (t > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.perSecond) / 1000);
      this.last = t;
    }
  }

  /** Whole tokens available now. */
  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  /** Takes `n` tokens if there are that many; never goes into debt. */
  tryTake(n = 1): boolean {
    this.refill();
    if (this.tokens + 1e-9 < n) return false;
    this.tokens = Math.max(0, this.tokens - n);
    return true;
  }

  /** Milliseconds until `n` tokens are available (0 when they are now). */
  msUntil(n = 1): number {
    this.refill();
    const missing = n - this.tokens;
    return missing <= 1e-9 ? 0 : Math.ceil((missing * 1000) / this.perSecond);
  }
}
