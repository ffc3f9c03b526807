import type { Logger } from 'pino';
import type { Alarm, DeviceEvent, Health } from '../contract/types.js';

/** A rejected input: counted, logged, never fatal. */
export interface Reject {
  source: string;
  reason: string;
  deviceId?: string;
  detail?: string;
  at: number;
}

/** The typed events that flow between the gateway's parts. */
export interface BusEvents {
  'device.event': DeviceEvent;
  /** `from`: cluster mode, the other node whose view of the device brought the change. */
  'health.changed': { health: Health; previous?: Health; from?: string };
  'alarm.changed': { alarm: Alarm; change: string };
  reject: Reject;
}

type Listener<K extends keyof BusEvents> = (payload: BusEvents[K]) => void;

interface Entry {
  owner: string;
  fn: (payload: never) => void;
}

/**
 * Synchronous typed event bus. A listener that throws is logged with its owner's name and
 * cannot break the other listeners or the emitter.
 *
 * Events are delivered in the order they were emitted: an event emitted by a listener (an
 * alarm note made while the raise is being announced) waits until the event being delivered
 * has reached every listener, so no listener sees a later change before an earlier one. All
 * of it still happens inside the outermost emit() call, before it returns.
 */
export class EventBus {
  private readonly listeners = new Map<keyof BusEvents, Entry[]>();
  private readonly queue: (() => void)[] = [];
  /** Above zero while delivering or holding: emits then wait in the queue. */
  private busy = 0;

  constructor(private readonly log: Logger) {}

  on<K extends keyof BusEvents>(event: K, owner: string, fn: Listener<K>): () => void {
    const list = this.listeners.get(event) ?? [];
    const entry: Entry = { owner, fn: fn as (payload: never) => void };
    list.push(entry);
    this.listeners.set(event, list);
    return () => {
      const current = this.listeners.get(event);
      if (current) this.listeners.set(event, current.filter((e) => e !== entry));
    };
  }

  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    this.queue.push(() => this.deliver(event, payload));
    this.drain();
  }

  /** Runs `fn`; what it emits is delivered after it returns, in order (and after what was queued before). */
  hold<T>(fn: () => T): T {
    this.busy++;
    try {
      return fn();
    } finally {
      this.busy--;
      this.drain();
    }
  }

  listenerCount(event: keyof BusEvents): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  private drain(): void {
    if (this.busy > 0) return;
    this.busy++;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) next();
    } finally {
      this.busy--;
    }
  }

  private deliver<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    for (const entry of this.listeners.get(event) ?? []) {
      try {
        (entry.fn as Listener<K>)(payload);
      } catch (err) {
        this.log.error({ err, owner: entry.owner, event }, 'event listener failed');
      }
    }
  }
}
