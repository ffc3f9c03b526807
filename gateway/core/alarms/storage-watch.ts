/**
 * The data directory is full (issue 18): the state store refused a write for lack of space.
 * Presses are then refused by the store itself (no commit, so no PUBACK and no DC-09 ACK: the
 * devices send again); this watch puts a critical `storage-full` alarm on the board at once. That
 * alarm cannot be written either, so it is held in memory (AlarmService.raiseHeld) and committed
 * when space returns. While full, a small probe write is tried every `probeMs`; when one goes
 * through, the held alarm is committed and cleared ("writes resume").
 */
import type { Clock, Timer } from '../../contract/clock.js';
import { ALARM_TYPE_CATALOGUE } from '../../contract/alarm-types.js';
import { errorMessage } from '../../contract/errors.js';
import type { Counters } from '../counters.js';
import type { AlarmService } from './service.js';

export interface StorageWatchDeps {
  alarms: AlarmService;
  /** Where the alarm is shown: the district's police site (the 110 centre), else the first site. */
  siteId: string;
  /** The store's signal (gateway/store/stores.ts StorageSignal). */
  signal: { onFull(listener: (full: boolean, detail: string) => void): void; probeWrite(): Promise<void> };
  clock: Clock;
  counters: Counters;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** Default 2,000. */
  probeMs?: number;
}

export class StorageWatch {
  private full = false;
  private timer: Timer | undefined;
  private stopped = false;
  private recovering: Promise<void> | undefined;

  constructor(private readonly d: StorageWatchDeps) {
    d.signal.onFull((full, detail) => (full ? this.onFull(detail) : this.onSpace()));
  }

  get isFull(): boolean {
    return this.full;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onFull(detail: string): void {
    if (this.full || this.stopped) return;
    this.full = true;
    this.d.counters.inc('storage.full');
    this.d.log.error({ detail }, 'data directory full: presses are refused until writes go through again');
    this.d.alarms.raiseHeld({
      type: 'storage-full',
      severity: ALARM_TYPE_CATALOGUE['storage-full'].severity,
      siteId: this.d.siteId,
      summary: `${ALARM_TYPE_CATALOGUE['storage-full'].zh}：按压不被确认，设备将重发 / ${ALARM_TYPE_CATALOGUE['storage-full'].en}: presses are not acknowledged, devices resend`,
      by: 'system',
      data: { detail: detail.slice(0, 200) },
    });
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = this.d.clock.setTimeout(() => {
      this.timer = undefined;
      this.d.signal.probeWrite().catch(() => {
        this.d.counters.inc('storage.probe-failed');
        this.schedule();
      });
    }, this.d.probeMs ?? 2000);
  }

  private onSpace(): void {
    if (!this.full || this.recovering) return;
    this.recovering = (async () => {
      try {
        await this.d.alarms.commitHeld();
        await this.d.alarms.clear('storage-full', this.d.siteId, undefined, '存储空间已恢复 / storage space back');
        this.full = false;
        this.d.counters.inc('storage.recovered');
        this.d.log.info({}, 'data directory takes writes again');
      } catch (err) {
        // Full again in between: the store says so again (onFull is ignored while full): probe on.
        this.d.log.warn({ err: errorMessage(err) }, 'storage-full alarm not committed yet');
        this.schedule();
      } finally {
        this.recovering = undefined;
      }
    })();
  }
}
