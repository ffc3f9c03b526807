/**
 * MESSAGE queries and their answers (GB/T 28181-2016 §9.5): the query is a MESSAGE the device
 * acknowledges with 200 OK; the answer comes later in a MESSAGE of its own with the same SN (a
 * catalog in as many messages as it takes to list SumNum items). This matches answers to queries.
 */
import type { Clock, Timer } from '../../gateway/contract/clock.js';
import { GB_ERRORS } from './errors.js';
import type { CatalogItem, Manscdp, QueryCmd } from './manscdp.js';

interface Waiter {
  cmd: QueryCmd;
  items: CatalogItem[];
  resolve(m: Manscdp | CatalogItem[]): void;
  reject(err: Error): void;
  timer: Timer;
}

export class QueryBook {
  private sn = Math.floor(Math.random() * 100_000);
  private readonly waiting = new Map<string, Waiter>();

  constructor(private readonly clock: Clock) {}

  nextSn(): number {
    this.sn = (this.sn + 1) % 1_000_000_000;
    return this.sn;
  }

  /** Waits for the answer to query `sn` (for a Catalog: every item, or what came before the timeout when some did). */
  expect(cmd: QueryCmd, deviceId: string, sn: number, timeoutMs: number): Promise<Manscdp | CatalogItem[]> {
    const key = `${deviceId}|${cmd}|${sn}`;
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        cmd,
        items: [],
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          this.waiting.delete(key);
          if (cmd === 'Catalog' && w.items.length > 0) resolve(w.items);
          else reject(GB_ERRORS.error('GW_ERR_GB_TIMEOUT', `${cmd} answer from ${deviceId} (SN ${sn}) within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiting.set(key, w);
    });
  }

  /** Offers an answer; true when it answered a query we asked. */
  answer(m: Manscdp): boolean {
    if (m.cmd !== 'Catalog' && m.cmd !== 'DeviceInfo' && m.cmd !== 'DeviceStatus') return false;
    const key = `${m.deviceId}|${m.cmd}|${m.sn}`;
    const w = this.waiting.get(key);
    if (!w) return false;
    if (m.cmd === 'Catalog') {
      w.items.push(...m.items);
      // A.2.6.4: SumNum is the whole list; an empty answer (SumNum 0) ends it too.
      if (m.sumNum !== undefined && w.items.length < m.sumNum && m.items.length > 0) return true;
      this.finish(key, w);
      w.resolve(w.items);
      return true;
    }
    this.finish(key, w);
    w.resolve(m);
    return true;
  }

  cancelAll(err: Error): void {
    for (const [key, w] of this.waiting) {
      this.finish(key, w);
      w.reject(err);
    }
  }

  private finish(key: string, w: Waiter): void {
    this.clock.clearTimeout(w.timer);
    this.waiting.delete(key);
  }
}
