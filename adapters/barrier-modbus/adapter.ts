/**
 * barrier-modbus: polls anti-collision barriers (防冲撞设施) over Modbus TCP, reports their
 * position, faults and impacts as DeviceEvents, and raises/lowers them on command with the
 * result verified by reading the position back.
 *
 * Each barrier has its own poll loop (a slow or dead controller delays only itself); its
 * requests never overlap (polls, checks and commands queue per device); controllers sharing
 * host:port share one socket.
 */
import type { Logger } from 'pino';
import type { Timer } from '../../gateway/contract/clock.js';
import type { Device } from '../../gateway/contract/types.js';
import type { HealthReasonCode } from '../../gateway/contract/vocabulary.js';
import type { Adapter, AdapterContext, AdapterFactory, CheckResult } from '../../gateway/contract/adapter.js';
import { BarrierModbusConfigSchema, type BarrierDeviceOptions, type BarrierModbusConfig, type BarrierModel } from './config.js';
import { decodeReading, readPlan, storeRead, type BarrierReading, type ReadRequest, type ReadValues } from './codec.js';
import { errorMessage, isGatewayError } from '../../gateway/contract/errors.js';
import { commandFailure } from '../../gateway/contract/capabilities.js';
import { BARRIER_ERRORS } from './errors.js';
import { Gate } from './gate.js';
import { ModbusLink } from './link.js';
import { BarrierTracker } from './tracker.js';
import { abortable, abortError, delay } from '../shared/abort.js';
import type { CommandTarget, TrackerOutput } from '../shared/barrier-tracker.js';
import { BARRIER_ADAPTER_TYPE, readDeviceOptions, resolveBarrierConfig } from './validate.js';

export type BarrierCommand = 'raise' | 'lower';

export interface BarrierCommandResult {
  deviceId: string;
  command: BarrierCommand;
  position: CommandTarget;
  latencyMs: number;
}

export interface BarrierCommander {
  /**
   * Writes the model's raise/lower command, then polls until the position reads the target.
   * Rejects with GW_ERR_COMMAND_TIMEOUT (target not reached in time; the cause is
   * GW_ERR_BARRIER_COMMAND_TIMEOUT) or GW_ERR_COMMAND_FAILED (the cause says why:
   * GW_ERR_BARRIER_COMMAND_FAILED, write refused or unanswered; GW_ERR_ABORTED, `signal`
   * aborted; GW_ERR_BARRIER_UNKNOWN_DEVICE), after setting the `barrier-command-failed`
   * condition when the barrier was asked.
   */
  command(deviceId: string, command: BarrierCommand, signal?: AbortSignal, opts?: { timeoutMs?: number }): Promise<BarrierCommandResult>;
}

interface PollOutcome {
  reading?: BarrierReading;
  error?: Error;
  latencyMs: number;
}

interface Runtime {
  device: Device;
  options: BarrierDeviceOptions;
  model: BarrierModel;
  plan: ReadRequest[];
  link: ModbusLink;
  tracker: BarrierTracker;
  log: Logger;
  timer?: Timer;
  /** Tail of this device's request queue. */
  queue: Promise<unknown>;
}

export class BarrierModbusAdapter implements Adapter, BarrierCommander {
  private config: BarrierModbusConfig | undefined;
  private readonly runtimes = new Map<string, Runtime>();
  private readonly links = new Map<string, ModbusLink>();
  private running = false;
  private readonly log: Logger;

  constructor(
    private readonly rawConfig: BarrierModbusConfig,
    private readonly ctx: AdapterContext,
  ) {
    this.log = ctx.log.child({ adapter: BARRIER_ADAPTER_TYPE });
  }

  async start(): Promise<void> {
    const devices = this.ctx.devices.list({ adapter: BARRIER_ADAPTER_TYPE });
    const config = resolveBarrierConfig(this.rawConfig, devices);
    this.config = config;
    const connectGate = new Gate(config.maxConcurrentConnects);
    for (const device of devices) {
      const options = readDeviceOptions(device, config.models, [], config.controllers);
      const model = options && config.models[options.model];
      if (!options || !model) continue; // unreachable: resolveBarrierConfig checked them
      const key = `${options.host}:${options.port}`;
      let link = this.links.get(key);
      if (!link) {
        link = new ModbusLink({
          host: options.host,
          port: options.port,
          timeoutMs: config.timeoutMs,
          reconnectMinMs: config.reconnect.minMs,
          reconnectMaxMs: config.reconnect.maxMs,
          maxInFlight: config.maxInFlightPerConnection,
          clock: this.ctx.clock,
          log: this.log,
          connectGate,
        });
        this.links.set(key, link);
      }
      this.runtimes.set(device.id, {
        device,
        options,
        model,
        plan: readPlan(model),
        link,
        tracker: new BarrierTracker(device.id, model, config.failedPollsForUnreachable),
        log: this.log.child({ deviceId: device.id }),
        queue: Promise.resolve(),
      });
    }
    this.running = true;
    // Spread first polls over one interval: 2,500 barriers must not all ask in the same millisecond.
    const all = [...this.runtimes.values()];
    all.forEach((rt, i) => this.schedule(rt, Math.floor((i * config.pollIntervalMs) / all.length)));
    this.log.info({ barriers: all.length, controllers: this.links.size }, 'barrier-modbus started');
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const rt of this.runtimes.values()) {
      if (rt.timer !== undefined) this.ctx.clock.clearTimeout(rt.timer);
      rt.timer = undefined;
    }
    for (const link of this.links.values()) link.close();
    await Promise.allSettled([...this.runtimes.values()].map((rt) => rt.queue));
    this.runtimes.clear();
    this.links.clear();
  }

  async check(device: Device, signal: AbortSignal): Promise<CheckResult> {
    const rt = this.runtimes.get(device.id);
    if (!rt || !this.running) {
      return { status: 'unknown', reasons: [{ code: 'check-error', detail: 'barrier is not polled by a running barrier-modbus adapter' }], evidence: {} };
    }
    const outcome = await abortable(this.serialize(rt, () => this.poll(rt, true)), signal);
    const { options } = rt;
    const evidence: CheckResult['evidence'] = {
      endpoint: `${options.host}:${options.port}`,
      unitId: options.unitId,
      model: options.model,
      latencyMs: outcome.latencyMs,
    };
    if (!outcome.reading) {
      evidence.error = errorMessage(outcome.error);
      return { status: 'offline', reasons: [{ code: 'unreachable', detail: errorMessage(outcome.error) }], evidence };
    }
    const r = outcome.reading;
    const state = rt.tracker.current;
    Object.assign(evidence, {
      position: r.position,
      [r.analogKind]: r.analog,
      unit: rt.model.analog.unit,
      faults: state.faults,
      faultBits: r.faultBits,
      impactCount: r.impactCount,
      manualOverride: r.manualOverride,
    });
    const reasons: CheckResult['reasons'] = [];
    const add = (code: HealthReasonCode, detail: string) => reasons.push({ code, detail });
    if (state.faults) add('barrier-fault', state.faults);
    if (state.commandFailed !== undefined) add('barrier-command-failed', state.commandFailed);
    return { status: reasons.length > 0 ? 'degraded' : 'ok', reasons, evidence };
  }

  async command(deviceId: string, command: BarrierCommand, signal?: AbortSignal, opts: { timeoutMs?: number } = {}): Promise<BarrierCommandResult> {
    try {
      return await this.runCommand(deviceId, command, signal, opts);
    } catch (err) {
      throw commandFailure(err, { timedOut: isGatewayError(err, 'GW_ERR_BARRIER_COMMAND_TIMEOUT'), deviceId });
    }
  }

  private async runCommand(deviceId: string, command: BarrierCommand, signal: AbortSignal | undefined, opts: { timeoutMs?: number }): Promise<BarrierCommandResult> {
    const rt = this.runtimes.get(deviceId);
    const config = this.config;
    if (!rt || !config || !this.running) throw BARRIER_ERRORS.error('GW_ERR_BARRIER_UNKNOWN_DEVICE', deviceId, { deviceId });
    if (signal?.aborted) throw abortError(signal);
    const { clock } = this.ctx;
    const target: CommandTarget = command === 'raise' ? 'raised' : 'lowered';
    const ref = rt.model.commands[command];
    const timeoutMs = opts.timeoutMs ?? rt.model.travelTimeoutMs ?? config.commandTimeoutMs;
    const started = clock.now();
    const unit = rt.options.unitId;

    try {
      const write = async () => {
        // Aborted while queued behind a poll: the barrier must not move after the caller gave up.
        if (signal?.aborted) throw abortError(signal);
        if ('coil' in ref) await rt.link.writeCoil(unit, ref.coil, true);
        else await rt.link.writeRegister(unit, ref.register, ref.value);
      };
      await abortable(this.serialize(rt, write), signal);
    } catch (err) {
      if (isGatewayError(err, 'GW_ERR_ABORTED')) throw err;
      const detail = `${command}: write refused or unanswered (${errorMessage(err)})`;
      this.applyConditions(rt, rt.tracker.commandFailed(target, detail));
      throw BARRIER_ERRORS.error('GW_ERR_BARRIER_COMMAND_FAILED', `${deviceId} ${detail}`, { cause: err, deviceId });
    }
    rt.log.info({ command }, 'barrier command written');

    // Verify by reading back (the write's echo only says the controller took it).
    const every = Math.max(10, Math.min(config.pollIntervalMs, 250));
    let last: PollOutcome;
    for (;;) {
      last = await abortable(this.serialize(rt, () => this.poll(rt, true)), signal);
      if (last.reading?.position === target) {
        this.applyConditions(rt, rt.tracker.commandSucceeded());
        return { deviceId, command, position: target, latencyMs: clock.now() - started };
      }
      const left = started + timeoutMs - clock.now();
      if (left <= 0 || !this.running) break;
      await delay(clock, Math.min(every, left), signal);
    }
    const seen = last.reading ? `position ${last.reading.position}${last.reading.manualOverride ? ', manual override on' : ''}` : errorMessage(last.error);
    const detail = `${command} not confirmed within ${timeoutMs} ms (${seen})`;
    this.applyConditions(rt, rt.tracker.commandFailed(target, detail));
    throw BARRIER_ERRORS.error('GW_ERR_BARRIER_COMMAND_TIMEOUT', `${deviceId}: ${detail}`, { deviceId });
  }

  private schedule(rt: Runtime, ms: number): void {
    if (!this.running) return;
    rt.timer = this.ctx.clock.setTimeout(() => {
      rt.timer = undefined;
      const started = this.ctx.clock.now();
      void this.serialize(rt, () => this.poll(rt, false)).finally(() => {
        const interval = this.config?.pollIntervalMs ?? 1000;
        this.schedule(rt, Math.max(0, interval - (this.ctx.clock.now() - started)));
      });
    }, ms);
  }

  /** Runs `task` after every earlier request of this device has settled. */
  private serialize<T>(rt: Runtime, task: () => Promise<T>): Promise<T> {
    const run = rt.queue.then(task, task);
    rt.queue = run.catch(() => undefined);
    return run;
  }

  /** One poll: read the plan, decode, update state, report. Never rejects. */
  private async poll(rt: Runtime, force: boolean): Promise<PollOutcome> {
    const { clock } = this.ctx;
    const started = clock.now();
    const unit = rt.options.unitId;
    let outcome: PollOutcome;
    let out: TrackerOutput;
    try {
      const values: ReadValues = new Map();
      for (const req of rt.plan) {
        const { table, address, length } = req;
        const data =
          table === 'holding' ? await rt.link.readHolding(unit, address, length, force)
          : table === 'input' ? await rt.link.readInput(unit, address, length, force)
          : table === 'coil' ? await rt.link.readCoils(unit, address, length, force)
          : await rt.link.readDiscreteInputs(unit, address, length, force);
        storeRead(values, req, data);
      }
      const reading = decodeReading(rt.model, values);
      outcome = { reading, latencyMs: clock.now() - started };
      out = rt.tracker.reading(reading, clock.now());
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      outcome = { error, latencyMs: clock.now() - started };
      if (isGatewayError(error, 'GW_ERR_BARRIER_STOPPED')) return outcome;
      rt.log.debug({ err: error }, 'poll failed');
      out = rt.tracker.failure(error.message, clock.now());
    }
    this.applyConditions(rt, out.conditions);
    const emitted = await Promise.allSettled(out.events.map((e) => this.ctx.emit(e)));
    for (const r of emitted) if (r.status === 'rejected') rt.log.warn({ err: r.reason }, 'event refused by the core');
    return outcome;
  }

  private applyConditions(rt: Runtime, changes: TrackerOutput['conditions']): void {
    for (const c of changes) this.ctx.setCondition(rt.device.id, c.code, c.active, c.detail);
  }
}

/** True for adapters that can raise and lower barriers. */
export function isBarrierCommander(adapter: Adapter): adapter is Adapter & BarrierCommander {
  return typeof (adapter as Partial<BarrierCommander>).command === 'function';
}

/** An AdapterFactory whose create() returns the adapter with its command() visible. */
export type BarrierModbusFactory = Omit<AdapterFactory<BarrierModbusConfig>, 'create'> & {
  create(config: BarrierModbusConfig, ctx: AdapterContext): BarrierModbusAdapter;
};

export const barrierModbusAdapter: BarrierModbusFactory = {
  type: BARRIER_ADAPTER_TYPE,
  description: 'Anti-collision barriers (防冲撞设施) polled over Modbus TCP; raise/lower with verification',
  kinds: ['barrier'],
  availability: 'active',
  cluster: 'singleton',
  configSchema: BarrierModbusConfigSchema,
  errors: BARRIER_ERRORS,
  create: (config, ctx) => new BarrierModbusAdapter(config, ctx),
};

// Compile-time proof that the factory fits the adapter list's element type.
const _fitsAdapterList: AdapterFactory<BarrierModbusConfig> = barrierModbusAdapter;
