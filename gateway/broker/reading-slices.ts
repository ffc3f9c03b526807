/**
 * The alarm path ahead of readings (issue 19): a device's readings and status reports are
 * handled in bounded slices after the socket reads of an event-loop turn, while its alarm events
 * (a press, a fault) are handled as soon as their packet is parsed.
 *
 * Why: one event loop reads every connection. At 10,000 devices (~5,000 readings/s) the gateway's
 * main thread was ~95 % busy and a press waited behind whatever the loop was doing: the time from
 * the press client's send to the broker's first look was most of press → 110 (p99 28.6 of 31.5
 * ms, bench/README.md "press-110"). Handling a reading (ACL, rate limit, decoding, the pipeline,
 * the telemetry store, its PUBACK write) is deferred here to `setImmediate` slices of at most
 * `sliceMs`; reading and parsing stay where they were. A press read in a turn then waits for the
 * parsing of that turn and one slice at most, not for the full handling of every reading read
 * before it.
 *
 * Order, per connection, is kept: whatever a connection deferred runs before anything it sends
 * later that is handled at once (`now`), e.g. a reboot's `online` status (which starts a new
 * sequence-number session) before the press that follows it, and a device's last readings before
 * its will. Across connections, alarm events go first: that is the point.
 *
 * Bounded: a publish is deferred only after it entered the connection's receive window
 * (receive-window.ts), so at most `mqtt.receiveMaximum` per connection wait here.
 */
import Denque from 'denque';

/**
 * What waits for a slice: run() in its turn, fail() with what run() threw. An object rather than
 * callbacks: the broker hands its own object per publish (broker.ts PublishJob), no closure per
 * reading.
 */
export interface SliceTask {
  run(): void;
  fail(err: Error): void;
}

interface Item {
  key: object;
  /** Null once run ahead of its turn by `now` for the same key. */
  task: SliceTask | null;
}

export interface SliceStats {
  /** Publishes waiting for a slice now. */
  waiting: number;
  /** Publishes deferred since start. */
  deferred: number;
  /** Slices run since start. */
  slices: number;
}

export class ReadingSlices {
  private readonly queue = new Denque<Item>();
  /**
   * Items waiting per key (a connection), 0 once none wait. An entry stays while its key lives
   * (weak): adding and deleting one per reading made a Map grow, shrink and rehash all the time,
   * and its tables outlived young-generation collections (~100 bytes a reading, sampling heap
   * profile of press-110's background load).
   */
  private pending = new WeakMap<object, number>();
  private immediate: NodeJS.Immediate | undefined;
  private waiting = 0;
  private deferredTotal = 0;
  private slicesTotal = 0;

  constructor(
    /** A slice stops once it has run this long (it always runs at least one item). */
    private readonly sliceMs = 2,
    /** Milliseconds, monotonic (tests pass their own). */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Runs `task.run()` in a later slice, after everything deferred before it; `task.fail()` gets what it throws. */
  defer(key: object, task: SliceTask): void {
    this.queue.push({ key, task });
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    this.waiting++;
    this.deferredTotal++;
    this.immediate ??= setImmediate(this.slice);
  }

  /** Runs `task.run()` now, after whatever `key` has still waiting (run first, in order); what it throws goes to the caller. */
  now(key: object | null, task: SliceTask): void {
    if (key !== null && this.waitingFor(key)) this.runAheadOf(key);
    task.run();
  }

  stats(): SliceStats {
    return { waiting: this.waiting, deferred: this.deferredTotal, slices: this.slicesTotal };
  }

  /** Drops what waits (the broker is closing: nothing deferred was acknowledged). */
  clear(): void {
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.queue.clear();
    this.pending = new WeakMap();
    this.waiting = 0;
  }

  private readonly slice = (): void => {
    this.immediate = undefined;
    this.slicesTotal++;
    const until = this.clock() + this.sliceMs;
    let item: Item | undefined;
    while ((item = this.queue.shift()) !== undefined) {
      if (item.task === null) continue;
      this.runItem(item, item.task);
      if (this.clock() >= until) break;
    }
    if (!this.queue.isEmpty()) this.immediate = setImmediate(this.slice);
  };

  private waitingFor(key: object): boolean {
    return (this.pending.get(key) ?? 0) > 0;
  }

  /** Runs every item of `key` still waiting, in order, and marks them so the slice skips them. */
  private runAheadOf(key: object): void {
    for (let i = 0; i < this.queue.length && this.waitingFor(key); i++) {
      const item = this.queue.peekAt(i) as Item;
      if (item.key === key && item.task !== null) this.runItem(item, item.task);
    }
  }

  private runItem(item: Item, task: SliceTask): void {
    const { key } = item;
    item.task = null;
    this.waiting--;
    this.pending.set(key, Math.max(0, (this.pending.get(key) ?? 1) - 1));
    try {
      task.run();
    } catch (err) {
      task.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
