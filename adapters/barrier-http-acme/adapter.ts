/**
 * barrier-http-acme: Acme GateKeeper barrier controllers over their HTTP JSON API (README.md).
 * Polls each barrier, turns what it reads into the vocabulary's events and conditions through
 * the shared barrier tracker, raises and lowers on command and reads the position back.
 * Adapters report; the core decides: no alarm, no protection window in here.
 */
import type { Adapter, AdapterContext, CheckResult } from '../../gateway/contract/adapter.js';
import { commandFailure, type CommandResult } from '../../gateway/contract/capabilities.js';
import type { Timer } from '../../gateway/contract/clock.js';
import { configInvalid, configProblems } from '../../gateway/contract/config-check.js';
import { errorMessage, isGatewayError } from '../../gateway/contract/errors.js';
import type { Device } from '../../gateway/contract/types.js';
import { COMMANDS, type BarrierCommand } from '../../gateway/contract/vocabulary.js';
import { abortable, delay } from '../shared/abort.js';
import { BarrierStateTracker, type BarrierObservation, type TrackerOutput } from '../shared/barrier-tracker.js';
import { ACTION_OF, decodeStatus } from './codec.js';
import { AcmeDeviceOptionsSchema, type AcmeConfig } from './config.js';
import { ACME_ERRORS } from './errors.js';

export const ACME_TYPE = 'barrier-http-acme';

interface Barrier {
  device: Device;
  /** http://host:port/api/v1/barriers/<unit> */
  url: string;
  apiKey: string;
  tracker: BarrierStateTracker;
  timer?: Timer;
}

export class AcmeGateKeeperAdapter implements Adapter {
  private readonly barriers = new Map<string, Barrier>();
  private running = false;

  constructor(
    private readonly config: AcmeConfig,
    private readonly ctx: AdapterContext,
  ) {}

  async start(): Promise<void> {
    const problems: string[] = [];
    for (const device of this.ctx.devices.list({ adapter: ACME_TYPE })) {
      const { value: opts, problems: bad } = configProblems(AcmeDeviceOptionsSchema, device.options, `/devices/${device.id}/options`);
      const controller = this.config.controllers[opts.controller];
      if (bad.length > 0 || !controller) {
        problems.push(...bad, ...(bad.length === 0 ? [`/devices/${device.id}/options/controller: no controller '${opts.controller}' in adapters.${ACME_TYPE}.controllers`] : []));
        continue;
      }
      this.barriers.set(device.id, {
        device,
        url: `http://${controller.host}:${controller.port}/api/v1/barriers/${opts.unit}`,
        apiKey: controller.apiKey,
        tracker: new BarrierStateTracker(device.id, this.config.failedPollsForUnreachable),
      });
    }
    if (problems.length > 0) throw configInvalid(ACME_TYPE, problems);
    this.running = true;
    for (const b of this.barriers.values()) this.schedule(b, 0);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const b of this.barriers.values()) if (b.timer !== undefined) this.ctx.clock.clearTimeout(b.timer);
    this.barriers.clear();
  }

  async check(device: Device, signal: AbortSignal): Promise<CheckResult> {
    const b = this.barriers.get(device.id);
    if (!b) return { status: 'unknown', reasons: [{ code: 'check-error', detail: 'not polled by a running barrier-http-acme adapter' }], evidence: {} };
    const started = this.ctx.clock.now();
    try {
      const seen = await this.read(b, signal);
      this.report(b, b.tracker.reading(seen, this.ctx.clock.now()));
      const state = b.tracker.current;
      const reasons: CheckResult['reasons'] = [];
      if (state.faults) reasons.push({ code: 'barrier-fault', detail: state.faults });
      if (state.commandFailed !== undefined) reasons.push({ code: 'barrier-command-failed', detail: state.commandFailed });
      // The position is evidence: whether it is down in a protection window is the core's to judge.
      const evidence = { position: seen.position, impactCount: seen.impactCount ?? -1, faults: state.faults, latencyMs: this.ctx.clock.now() - started };
      return { status: reasons.length > 0 ? 'degraded' : 'ok', reasons, evidence };
    } catch (err) {
      if (signal.aborted) throw err;
      return { status: 'offline', reasons: [{ code: 'unreachable', detail: errorMessage(err) }], evidence: { latencyMs: this.ctx.clock.now() - started } };
    }
  }

  /** Raises or lowers, then reads the position back (the contract's command capability). */
  async command(deviceId: string, command: BarrierCommand, signal: AbortSignal): Promise<CommandResult> {
    try {
      return await this.run(deviceId, command, signal);
    } catch (err) {
      throw commandFailure(err, { timedOut: isGatewayError(err, 'GW_ERR_ACME_COMMAND_TIMEOUT'), deviceId });
    }
  }

  private async run(deviceId: string, command: BarrierCommand, signal: AbortSignal): Promise<CommandResult> {
    const b = this.barriers.get(deviceId);
    if (!b || !this.running) throw ACME_ERRORS.error('GW_ERR_ACME_UNKNOWN_BARRIER', deviceId, { deviceId });
    const target = COMMANDS.barrier[command];
    const started = this.ctx.clock.now();
    await this.request(b, 'POST', `${b.url}/command`, signal, { action: ACTION_OF[command] });
    for (;;) {
      const seen = await this.read(b, signal);
      this.report(b, b.tracker.reading(seen, this.ctx.clock.now()));
      if (seen.position === target) {
        this.applyConditions(b, b.tracker.commandSucceeded());
        return { deviceId, command, position: target, latencyMs: this.ctx.clock.now() - started };
      }
      if (this.ctx.clock.now() - started >= this.config.commandTimeoutMs) {
        const detail = `${command} not confirmed within ${this.config.commandTimeoutMs} ms (position ${seen.position})`;
        this.applyConditions(b, b.tracker.commandFailed(target, detail));
        throw ACME_ERRORS.error('GW_ERR_ACME_COMMAND_TIMEOUT', `${deviceId}: ${detail}`, { deviceId });
      }
      await delay(this.ctx.clock, Math.min(250, this.config.pollIntervalMs), signal);
    }
  }

  private schedule(b: Barrier, ms: number): void {
    if (!this.running) return;
    b.timer = this.ctx.clock.setTimeout(() => {
      b.timer = undefined;
      void this.poll(b).finally(() => this.schedule(b, this.config.pollIntervalMs));
    }, ms);
  }

  /** One poll; never rejects. */
  private async poll(b: Barrier): Promise<void> {
    let out: TrackerOutput;
    try {
      out = b.tracker.reading(await this.read(b, undefined), this.ctx.clock.now());
    } catch (err) {
      out = b.tracker.failure(errorMessage(err), this.ctx.clock.now());
    }
    if (this.running) this.report(b, out);
  }

  private async read(b: Barrier, signal: AbortSignal | undefined): Promise<BarrierObservation> {
    const body = await this.request(b, 'GET', b.url, signal);
    const decoded = decodeStatus(body);
    if (!decoded.ok) throw ACME_ERRORS.error('GW_ERR_ACME_BAD_ANSWER', decoded.detail);
    return decoded.observation;
  }

  private async request(b: Barrier, method: 'GET' | 'POST', url: string, signal: AbortSignal | undefined, body?: unknown): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    let res: Response;
    try {
      res = await abortable(
        fetch(url, {
          method,
          headers: { 'x-api-key': b.apiKey, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        }),
        signal,
      );
    } catch (err) {
      if (isGatewayError(err)) throw err;
      throw ACME_ERRORS.error('GW_ERR_ACME_UNREACHABLE', `${method} ${url}: ${errorMessage(err)}`, { cause: err });
    }
    if (!res.ok) throw ACME_ERRORS.error('GW_ERR_ACME_REFUSED', `${method} ${url}: HTTP ${res.status}`);
    return method === 'GET' ? res.json().catch(() => undefined) : undefined;
  }

  private report(b: Barrier, out: TrackerOutput): void {
    this.applyConditions(b, out.conditions);
    for (const e of out.events) this.ctx.emit(e).catch((err: unknown) => this.ctx.reject('refused-by-core', errorMessage(err), b.device.id));
  }

  private applyConditions(b: Barrier, changes: TrackerOutput['conditions']): void {
    for (const c of changes) this.ctx.setCondition(b.device.id, c.code, c.active, c.detail);
  }
}
