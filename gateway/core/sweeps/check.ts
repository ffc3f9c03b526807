/**
 * One device's sweep check: the adapter's check() when it has one, else the passive verdict
 * of the health tracker; then the extras asked for (e.g. a button self-test). A deadline and
 * the sweep's cancel both abort the check's signal *and* end the wait by a race, so a check
 * that ignores its signal still cannot hold a concurrency slot past the deadline.
 */
import type { Adapter, CheckResult } from '../../contract/adapter.js';
import type { Clock } from '../../contract/clock.js';
import { heartbeatTimeoutSeconds, passiveCheck, statusOfReasons } from './passive.js';
import type { SweepResult } from './types.js';
import { type Device, type Health, type HealthStatus, type Scalar } from '../../contract/types.js';
import { HEALTH_REASONS, type DeviceKind, type HealthReasonCode } from '../../contract/vocabulary.js';

/** What an extra adds to the base check; reasons are appended, evidence merged. */
export interface SweepExtraOutcome {
  reasons?: { code: HealthReasonCode; detail?: string }[];
  evidence?: Record<string, Scalar>;
  /** Base reasons the extra disproved (a passed self-test clears a stale `not-linked-110`). */
  clear?: HealthReasonCode[];
}

/** An optional per-kind step behind a flag (`extras: ['button-self-test']`). */
export interface SweepExtra {
  kinds: readonly DeviceKind[];
  run(device: Device, base: CheckResult, signal: AbortSignal): Promise<SweepExtraOutcome>;
}

/**
 * A core rule that judges what an adapter's check saw (the barrier rule: a barrier read lowered
 * inside a protection window): the reasons it finds are added to the check's own. Adapters
 * report what they read; the core decides what it means.
 */
export interface SweepJudge {
  kinds: readonly DeviceKind[];
  judge(device: Device, check: CheckResult, at: number): { code: HealthReasonCode; detail?: string }[];
}

export interface HealthView {
  get(deviceId: string): Health | undefined;
}

export type CheckCapable = Pick<Adapter, 'check'>;

export interface CheckDeps {
  adapters: ReadonlyMap<string, CheckCapable>;
  health: HealthView;
  clock: Clock;
  heartbeatTimeout: Readonly<Record<string, number>>;
  extras: ReadonlyMap<string, SweepExtra>;
  judges?: readonly SweepJudge[];
}

export interface CheckRun {
  timeoutMs: number;
  extras: readonly string[];
  /** The sweep's cancel. */
  cancel: AbortSignal;
}

const KNOWN_REASONS: ReadonlySet<string> = new Set(HEALTH_REASONS);
const STATUSES: ReadonlySet<string> = new Set(['ok', 'degraded', 'offline', 'unknown']);
const STATUS_RANK: Record<HealthStatus, number> = { ok: 0, unknown: 1, degraded: 2, offline: 3 };
/** Evidence strings beyond this are cut: a thumbnail is welcome, a full-size frame is not. */
const MAX_EVIDENCE_CHARS = 200_000;
const MAX_DETAIL_CHARS = 1000;

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return typeof err === 'string' ? err : 'unknown error';
}

/** Adapters are typed, but a sweep report must survive a careless one (and plain JS ones). */
export function sanitizeCheck(raw: unknown): CheckResult {
  const r = (raw ?? {}) as Partial<CheckResult>;
  const reasons: CheckResult['reasons'] = [];
  for (const x of Array.isArray(r.reasons) ? r.reasons : []) {
    const detail = typeof x?.detail === 'string' ? x.detail.slice(0, MAX_DETAIL_CHARS) : undefined;
    if (x && KNOWN_REASONS.has(x.code)) reasons.push({ code: x.code, ...(detail !== undefined ? { detail } : {}) });
    else reasons.push({ code: 'check-error', detail: `unknown reason '${String(x?.code)}'${detail ? `: ${detail}` : ''}` });
  }
  const evidence: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(r.evidence && typeof r.evidence === 'object' ? r.evidence : {})) {
    if (typeof v === 'string') evidence[k] = v.slice(0, MAX_EVIDENCE_CHARS);
    else if (typeof v === 'boolean') evidence[k] = v;
    else if (typeof v === 'number') evidence[k] = Number.isFinite(v) ? v : String(v);
  }
  let status: HealthStatus = typeof r.status === 'string' && STATUSES.has(r.status) ? r.status : 'unknown';
  if (status === 'ok' && reasons.length > 0) status = 'degraded';
  return { status, reasons, evidence };
}

function judged(device: Device, check: CheckResult, deps: CheckDeps): CheckResult {
  for (const j of deps.judges ?? []) {
    if (!j.kinds.includes(device.kind)) continue;
    const found = j.judge(device, check, deps.clock.now());
    if (found.length === 0) continue;
    check.reasons.push(...sanitizeCheck({ status: 'ok', reasons: found, evidence: {} }).reasons);
    if (STATUS_RANK[check.status] < STATUS_RANK.degraded) check.status = 'degraded';
  }
  return check;
}

async function baseCheck(device: Device, signal: AbortSignal, deps: CheckDeps): Promise<{ check: CheckResult; method: SweepResult['method'] }> {
  const adapter = deps.adapters.get(device.adapter);
  if (adapter?.check) return { check: judged(device, sanitizeCheck(await adapter.check(device, signal)), deps), method: 'active' };
  const timeoutS = heartbeatTimeoutSeconds(device, deps.heartbeatTimeout);
  return { check: passiveCheck(device, deps.health.get(device.id), deps.clock.now(), timeoutS), method: 'passive' };
}

async function fullCheck(device: Device, signal: AbortSignal, deps: CheckDeps, extras: readonly string[]) {
  const { check, method } = await baseCheck(device, signal, deps);
  for (const name of extras) {
    const extra = deps.extras.get(name);
    if (!extra || !extra.kinds.includes(device.kind)) continue;
    try {
      const outcome = await extra.run(device, check, signal);
      const add = sanitizeCheck({ status: 'ok', reasons: outcome.reasons ?? [], evidence: outcome.evidence ?? {} });
      // The extra's fresher evidence replaces base reasons of the same code, and those it disproved.
      const clear = new Set<string>(outcome.clear ?? []);
      const replaced = new Set<string>([...clear, ...add.reasons.map((r) => r.code)]);
      const cleared = check.reasons.some((r) => clear.has(r.code));
      check.reasons = [...check.reasons.filter((r) => !replaced.has(r.code)), ...add.reasons];
      Object.assign(check.evidence, add.evidence);
      if (cleared) check.status = check.reasons.length === 0 && check.status === 'unknown' ? 'unknown' : statusOfReasons(check.reasons);
      else if (add.reasons.length > 0 && STATUS_RANK[check.status] < STATUS_RANK.degraded) check.status = 'degraded';
    } catch (err) {
      if (signal.aborted) throw err;
      check.reasons.push({ code: 'check-error', detail: `${name}: ${errorText(err)}` });
      if (STATUS_RANK[check.status] < STATUS_RANK.degraded) check.status = 'degraded';
    }
  }
  return { check, method };
}

type Stop = { stop: 'timeout' } | { stop: 'cancelled' };
type Done = { ok: { check: CheckResult; method: SweepResult['method'] } } | { err: unknown };

/** Runs one device's check; undefined when the sweep was cancelled before it ended. */
export async function checkDevice(device: Device, deps: CheckDeps, run: CheckRun): Promise<SweepResult | undefined> {
  const startedAt = deps.clock.now();
  const ctl = new AbortController();
  let settle: (s: Stop) => void = () => undefined;
  const stopped = new Promise<Stop>((resolve) => {
    settle = resolve;
  });
  // Settle the race first, then abort: a check that honours its signal rejects a few
  // microtasks later and must not win over the deadline that caused it.
  const timer = deps.clock.setTimeout(() => {
    settle({ stop: 'timeout' });
    ctl.abort(new DOMException(`timed out after ${run.timeoutMs} ms`, 'TimeoutError'));
  }, run.timeoutMs);
  const onCancel = () => {
    settle({ stop: 'cancelled' });
    ctl.abort(run.cancel.reason);
  };
  if (run.cancel.aborted) onCancel();
  else run.cancel.addEventListener('abort', onCancel, { once: true });
  const work: Promise<Done> = Promise.resolve()
    .then(() => fullCheck(device, ctl.signal, deps, run.extras))
    .then(
      (ok) => ({ ok }),
      (err: unknown) => ({ err }),
    );
  const outcome = await Promise.race([work, stopped]);
  deps.clock.clearTimeout(timer);
  run.cancel.removeEventListener('abort', onCancel);
  if ('stop' in outcome && outcome.stop === 'cancelled') return undefined;

  let check: CheckResult;
  let method: SweepResult['method'] = deps.adapters.get(device.adapter)?.check ? 'active' : 'passive';
  if ('stop' in outcome) {
    check = { status: 'unknown', reasons: [{ code: 'check-error', detail: `timed out after ${run.timeoutMs} ms` }], evidence: {} };
  } else if ('err' in outcome) {
    check = { status: 'unknown', reasons: [{ code: 'check-error', detail: errorText(outcome.err).slice(0, MAX_DETAIL_CHARS) }], evidence: {} };
  } else {
    ({ check, method } = outcome.ok);
  }
  const lastSeen = deps.health.get(device.id)?.lastSeen;
  return {
    deviceId: device.id,
    siteId: device.siteId,
    kind: device.kind,
    status: check.status,
    reasons: check.reasons,
    evidence: check.evidence,
    method,
    ...(lastSeen !== undefined ? { lastSeen } : {}),
    startedAt,
    durationMs: Math.max(0, deps.clock.now() - startedAt),
  };
}
