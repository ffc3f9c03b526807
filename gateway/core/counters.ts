/** Named monotonic counters (rejects by reason, events by type), reported on /api/health. */
export class Counters {
  private readonly values = new Map<string, number>();

  inc(name: string, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.values.get(name) ?? 0;
  }

  snapshot(prefix = ''): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of [...this.values].sort(([a], [b]) => a.localeCompare(b))) if (k.startsWith(prefix)) out[k] = v;
    return out;
  }
}
