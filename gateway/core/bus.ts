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
  'health.changed': { health: Health; previous?: Health };
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
 */
export class EventBus {
  private readonly listeners = new Map<keyof BusEvents, Entry[]>();

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
    for (const entry of this.listeners.get(event) ?? []) {
      try {
        (entry.fn as Listener<K>)(payload);
      } catch (err) {
        this.log.error({ err, owner: entry.owner, event }, 'event listener failed');
      }
    }
  }

  listenerCount(event: keyof BusEvents): number {
    return this.listeners.get(event)?.length ?? 0;
  }
}
