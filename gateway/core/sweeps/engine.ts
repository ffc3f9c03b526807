/**
 * Runs health sweeps: every selected device's check with bounded concurrency and per-check
 * deadlines, progress events, cancel, results recorded as they arrive, and on the end a
 * report sealed into the hash chain. Dependencies are injected; no I/O of its own.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../../contract/adapter.js';
import type { Clock } from '../../contract/clock.js';
import { checkDevice, type CheckCapable, type CheckDeps, type HealthView, type SweepExtra, type SweepJudge } from './check.js';
import { GatewayError } from '../../contract/errors.js';
import { selectDevices, summarize, sweepContext } from './selection.js';
import {
  SWEEP_DEFAULTS,
  type SweepContext,
  type SweepProgressEvent,
  type SweepRecord,
  type SweepRecorder,
  type SweepRequest,
  type SweepResult,
} from './types.js';
import type { Device } from '../../contract/types.js';

export interface SweepEngineDeps {
  registry: DeviceRegistry;
  health: HealthView;
  /** Running adapters by type (the gateway's `adapters` map); read at check time. */
  adapters: ReadonlyMap<string, CheckCapable>;
  recorder: SweepRecorder;
  clock: Clock;
  log: Logger;
  /** config.health.heartbeatTimeout: seconds per kind, for passive checks. */
  heartbeatTimeout: Readonly<Record<string, number>>;
  /** Shown in reports. */
  district?: SweepContext['district'];
  /** Core rules that judge what adapters' checks saw (the barrier window rule). */
  judges?: readonly SweepJudge[];
  /** Optional extras by name (`button-self-test`); a request may only name these. */
  extras?: ReadonlyMap<string, SweepExtra>;
  newId?: (now: number) => string;
  /** A turn of the event loop between checks (default setImmediate; tests may pass a microtask). */
  yieldTurn?: () => Promise<unknown>;
}

export interface SweepEngineOptions {
  concurrency?: number;
  timeoutMs?: number;
  /** Sweeps running at once; more are refused with GW_ERR_SWEEP_BUSY. */
  maxRunning?: number;
  /**
   * Per device kind, a pool of its own within the sweep's concurrency and a per-check timeout
   * counted from when its check starts (cameras: each check runs ffmpeg, so fewer at once and
   * longer each). A request's own `timeoutMs` still applies to every other kind.
   */
  kinds?: Readonly<Record<string, { concurrency?: number; timeoutMs?: number }>>;
}

export type SweepListener = (e: SweepProgressEvent) => void;

interface ActiveSweep {
  record: SweepRecord;
  context: SweepContext;
  devices: Device[];
  results: SweepResult[];
  ctl: AbortController;
  done: Promise<SweepRecord>;
}

const MAX_CONCURRENCY = 256;

/** Sortable ids: `sw-20261123T080000Z-3fa2c1`. */
export function defaultSweepId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `sw-${stamp}-${randomBytes(3).toString('hex')}`;
}

export class SweepEngine {
  private readonly active = new Map<string, ActiveSweep>();
  /** Sweeps being recorded (startSweep awaiting the store). */
  private readonly reserved = new Set<string>();
  private readonly listeners = new Set<SweepListener>();
  private running = false;

  constructor(
    private readonly deps: SweepEngineDeps,
    private readonly opts: SweepEngineOptions = {},
  ) {}

  /**
   * Starts taking sweeps, and closes those a previous process left running (their reports are
   * sealed as cancelled). Cluster mode passes `leftovers: false`: another node may be running
   * them; the node taking the singleton duties closes them (closeLeftovers).
   */
  async start(opts: { leftovers?: boolean } = {}): Promise<void> {
    this.running = true;
    if (opts.leftovers !== false) await this.closeLeftovers();
  }

  /** Seals every sweep recorded as running that this engine does not run as cancelled. */
  async closeLeftovers(): Promise<void> {
    let left: SweepRecord[];
    try {
      left = await this.deps.recorder.running();
    } catch (err) {
      // Closed on the next start: a sweep left running harms nobody meanwhile.
      this.deps.log.error({ err }, 'sweeps left running could not be read');
      return;
    }
    for (const rec of left.filter((r) => !this.active.has(r.id))) {
      try {
        const context = (await this.deps.recorder.context(rec.id)) ?? { sites: [], devices: {} };
        const results = await this.deps.recorder.results(rec.id);
        const cancelReason = 'interrupted: the gateway stopped before the sweep ended';
        await this.deps.recorder.finish(rec.id, { state: 'cancelled', finishedAt: this.deps.clock.now(), summary: summarize(results, rec.total, context), cancelReason });
        this.deps.log.warn({ sweepId: rec.id, done: results.length, total: rec.total }, 'sweep interrupted by a restart closed as cancelled');
      } catch (err) {
        this.deps.log.error({ err, sweepId: rec.id }, 'interrupted sweep could not be closed');
      }
    }
  }

  /** Cancels the sweeps running here (cluster mode: this node gave up the duties their probes need). */
  async cancelRunning(reason: string): Promise<void> {
    await Promise.all([...this.active.keys()].map((id) => this.cancelSweep(id, reason).catch(() => undefined)));
  }

  /** Cancels running sweeps and waits for them to be recorded. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all([...this.active.keys()].map((id) => this.cancelSweep(id, 'gateway stopping').catch(() => undefined)));
    this.listeners.clear();
  }

  onProgress(listener: SweepListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Validates, records and starts a sweep; resolves once it is recorded, with its record (state `running`). */
  async startSweep(req: SweepRequest): Promise<SweepRecord> {
    if (!this.running) throw new GatewayError('GW_ERR_SWEEP_STOPPED');
    const maxRunning = this.opts.maxRunning ?? SWEEP_DEFAULTS.maxRunning;
    const busy = this.active.size + this.reserved.size;
    if (busy >= maxRunning) throw new GatewayError('GW_ERR_SWEEP_BUSY', `${busy} running (at most ${maxRunning})`);
    const extras = [...new Set(req.extras ?? [])];
    const unknown = extras.filter((x) => !this.deps.extras?.has(x));
    if (unknown.length > 0) throw new GatewayError('GW_ERR_SWEEP_EXTRA_UNKNOWN', unknown.map((x) => `'${x}'`).join(', '));
    const devices = selectDevices(this.deps.registry, req.selection);
    const now = this.deps.clock.now();
    const record: SweepRecord = {
      id: (this.deps.newId ?? defaultSweepId)(now),
      ...(req.name ? { name: req.name } : {}),
      trigger: req.trigger ?? 'api',
      state: 'running',
      createdAt: now,
      total: devices.length,
      selection: req.selection,
      options: {
        concurrency: Math.min(MAX_CONCURRENCY, Math.max(1, Math.floor(req.concurrency ?? this.opts.concurrency ?? SWEEP_DEFAULTS.concurrency))),
        timeoutMs: Math.max(1, Math.floor(req.timeoutMs ?? this.opts.timeoutMs ?? SWEEP_DEFAULTS.timeoutMs)),
        extras,
      },
    };
    const context = sweepContext(this.deps.registry, devices, this.deps.district);
    // Counted against maxRunning while it is being recorded, so two requests cannot both pass.
    const placeholder = record.id;
    this.reserved.add(placeholder);
    try {
      await this.deps.recorder.create(record, context);
    } finally {
      this.reserved.delete(placeholder);
    }
    if (!this.running) throw new GatewayError('GW_ERR_SWEEP_STOPPED');
    const ctl = new AbortController();
    // Every check in flight listens for the cancel: not a leak, so no MaxListenersExceededWarning.
    setMaxListeners(record.options.concurrency + 10, ctl.signal);
    const sweep: ActiveSweep = { record, context, devices, results: [], ctl, done: Promise.resolve(record) };
    this.active.set(record.id, sweep);
    sweep.done = this.run(sweep).catch((err: unknown) => {
      this.active.delete(record.id);
      this.deps.log.error({ err, sweepId: record.id }, 'sweep failed');
      return { ...record, state: 'cancelled' as const, cancelReason: `internal error: ${err instanceof Error ? err.message : String(err)}` };
    });
    this.deps.log.info({ sweepId: record.id, total: record.total, trigger: record.trigger, options: record.options }, 'sweep started');
    this.emit({ type: 'started', sweep: { ...record } });
    return { ...record };
  }

  /** Ends a running sweep now: checks in flight are aborted and left out of the results. */
  async cancelSweep(id: string, reason = 'cancelled by request'): Promise<SweepRecord> {
    const sweep = this.active.get(id);
    if (!sweep) throw new GatewayError('GW_ERR_SWEEP_NOT_RUNNING', id);
    if (!sweep.ctl.signal.aborted) sweep.ctl.abort(new DOMException(reason, 'AbortError'));
    return sweep.done;
  }

  progress(id: string): { done: number; total: number } | undefined {
    const s = this.active.get(id);
    return s ? { done: s.results.length, total: s.record.total } : undefined;
  }

  /** Resolves with the final record of a running sweep; undefined if it is not running. */
  whenDone(id: string): Promise<SweepRecord> | undefined {
    return this.active.get(id)?.done;
  }

  runningIds(): string[] {
    return [...this.active.keys()];
  }

  private async run(sweep: ActiveSweep): Promise<SweepRecord> {
    const { record, devices } = sweep;
    const checkDeps: CheckDeps = {
      adapters: this.deps.adapters,
      health: this.deps.health,
      clock: this.deps.clock,
      heartbeatTimeout: this.deps.heartbeatTimeout,
      extras: this.deps.extras ?? new Map(),
      ...(this.deps.judges ? { judges: this.deps.judges } : {}),
    };
    const signal = sweep.ctl.signal;
    const pending = [...devices];
    const kinds = this.opts.kinds ?? {};
    const busy = new Map<string, number>();
    const aborted = new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
    let released: () => void = () => undefined;
    let slotFree = new Promise<void>((r) => (released = r));
    const free = (kind: string) => {
      busy.set(kind, (busy.get(kind) ?? 1) - 1);
      released();
      slotFree = new Promise<void>((r) => (released = r));
    };
    /** The next device whose kind has a free slot in its pool, waiting for one when every pending kind is full. */
    const take = async (): Promise<Device | undefined> => {
      for (;;) {
        if (signal.aborted || pending.length === 0) return undefined;
        const i = pending.findIndex((d) => (busy.get(d.kind) ?? 0) < (kinds[d.kind]?.concurrency ?? Infinity));
        if (i >= 0) {
          const [device] = pending.splice(i, 1) as [Device];
          busy.set(device.kind, (busy.get(device.kind) ?? 0) + 1);
          return device;
        }
        await Promise.race([slotFree, aborted]);
      }
    };
    const worker = async () => {
      while (!signal.aborted && pending.length > 0) {
        // Passive checks finish in microtasks: without a turn of the event loop between them a
        // large sweep would hold MQTT and HTTP for its whole length.
        await (this.deps.yieldTurn ?? nextTurn)();
        const device = await take();
        if (!device) return;
        let result: SweepResult | undefined;
        try {
          // The timeout counts from here: a check waiting for its kind's slot is not yet running.
          const run = { timeoutMs: kinds[device.kind]?.timeoutMs ?? record.options.timeoutMs, extras: record.options.extras, cancel: signal };
          result = await checkDevice(device, checkDeps, run);
          // A check that could not judge (timeout, an adapter's error) or did not reach the device
          // is asked once more before a technician is sent: a loaded gateway must not report
          // healthy devices as broken.
          const transient = result?.reasons.find((r) => r.code === 'check-error' || (result?.method === 'active' && r.code === 'unreachable'));
          if (result && transient) {
            const first = `${transient.code}${transient.detail ? `: ${transient.detail}` : ''}`;
            const again = await checkDevice(device, checkDeps, run);
            result = again ? { ...again, evidence: { ...again.evidence, retriedAfter: first.slice(0, 200) } } : undefined;
          }
        } finally {
          free(device.kind);
        }
        if (!result) return;
        sweep.results.push(result);
        const done = sweep.results.length;
        try {
          await this.deps.recorder.addResult(record.id, result);
        } catch (err) {
          this.deps.log.error({ err, sweepId: record.id, deviceId: device.id }, 'sweep result could not be recorded');
        }
        this.emit({ type: 'result', sweepId: record.id, result, done, total: record.total });
      }
    };
    // Let startSweep() return (and its caller answer 202) before the first check runs.
    await Promise.resolve();
    await Promise.all(Array.from({ length: Math.min(record.options.concurrency, devices.length) }, worker));

    const state = signal.aborted ? 'cancelled' : 'done';
    const cancelReason = signal.aborted ? (signal.reason instanceof Error ? signal.reason.message : 'cancelled') : undefined;
    const end = {
      state,
      finishedAt: this.deps.clock.now(),
      summary: summarize(sweep.results, record.total, sweep.context),
      ...(cancelReason ? { cancelReason } : {}),
    } as const;
    const final: SweepRecord = { ...record, ...end };
    this.active.delete(record.id);
    try {
      const link = await this.deps.recorder.finish(record.id, end);
      this.emit({ type: 'finished', sweep: final, link });
    } catch (err) {
      // Left `running` in the store: the next start() closes it as interrupted.
      this.deps.log.error({ err, sweepId: record.id }, 'sweep end could not be recorded');
    }
    this.deps.log.info({ sweepId: record.id, state: final.state, ok: final.summary?.ok, failing: final.summary?.failing, done: sweep.results.length, total: record.total }, 'sweep ended');
    return final;
  }

  private emit(e: SweepProgressEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(e);
      } catch (err) {
        this.deps.log.error({ err, event: e.type }, 'sweep listener failed');
      }
    }
  }
}
