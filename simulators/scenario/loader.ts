/**
 * Reads a scenario file: YAML (the `yaml` package), the TypeBox schema, then the action
 * strings, alarm types, reasons and device ids against the district. Every problem is
 * reported as `path: message` (JSON-pointer paths, like the gateway's configuration loader),
 * all of them at once.
 */
import { readFileSync } from 'node:fs';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { LineCounter, parseDocument } from 'yaml';
import { BUTTON_FAULTS } from '../alarm-button.js';
import { HEALTH_REASONS } from '../../gateway/contract/vocabulary.js';
import { ALARM_TYPES } from '../../gateway/contract/alarm-types.js';
import { GatewayError } from '../../gateway/contract/errors.js';
import { ExpectationSchema, ScenarioFileSchema, StepSchema, WeekdayClockSchema, type Action, type Expectation, type ExpectationKind, type Scenario, type ScenarioFile, type Step } from './schema.js';

/** A scenario that cannot be run (GW_ERR_SCENARIO_INVALID); its `details` list every `path: message`. */
export function scenarioInvalid(source: string, errors: string[]): GatewayError {
  return new GatewayError('GW_ERR_SCENARIO_INVALID', `scenario is invalid: ${source}\n${errors.map((e) => `  ${e}`).join('\n')}`, { details: errors });
}

/** What the loader needs to know of the district to check device ids (optional). */
export interface DistrictView {
  devices: readonly { id: string; kind: string; adapter: string; siteId: string }[];
  sites: readonly { id: string; arcAccount?: string }[];
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

type DeviceInfo = DistrictView['devices'][number];

const compiled = TypeCompiler.Compile(ScenarioFileSchema);
const stepOk = TypeCompiler.Compile(StepSchema);
const expectOk = TypeCompiler.Compile(ExpectationSchema);
const clockOk = TypeCompiler.Compile(WeekdayClockSchema);
const KINDS: readonly ExpectationKind[] = ['alarm', 'forwarded-to-110', 'broadcast-delivered', 'device-reason', 'no-alarm', 'broadcast-failed', 'figure'];
const DEVICE_ACTIONS = ['press', 'test-press', 'drop', 'restore', 'malformed', 'lower', 'raise', 'impact', 'cover', 'uncover', 'freeze', 'unfreeze'] as const;
type DeviceAction = (typeof DEVICE_ACTIONS)[number];

function isDeviceAction(word: string): word is DeviceAction {
  return (DEVICE_ACTIONS as readonly string[]).includes(word);
}

/** Parses one `do:` string; returns the action or a message. */
export function parseAction(text: string): Action | string {
  const words = text.trim().split(/\s+/);
  const [verb = '', ...args] = words;
  const arity = (n: number, usage: string): string | undefined => (args.length === n ? undefined : `'${verb}' takes ${usage}`);
  if (verb === 'wait') return arity(0, 'no argument') ?? { kind: 'wait' };
  if (isDeviceAction(verb)) return arity(1, 'one device id') ?? { kind: verb, device: args[0] as string };
  if (verb === 'fault') {
    const bad = arity(3, '<button> <fault> on|off');
    if (bad) return bad;
    const [device, fault, onOff] = args as [string, string, string];
    if (!(BUTTON_FAULTS as readonly string[]).includes(fault)) return `unknown fault '${fault}' (one of ${BUTTON_FAULTS.join(', ')})`;
    if (onOff !== 'on' && onOff !== 'off') return `expected on or off, got '${onOff}'`;
    return { kind: 'fault', device, fault, on: onOff === 'on' };
  }
  if (verb === 'centre') {
    const bad = arity(2, 'primary|secondary down|up|blackhole');
    if (bad) return bad;
    const [receiver, state] = args as [string, string];
    if (receiver !== 'primary' && receiver !== 'secondary') return `expected primary or secondary, got '${receiver}'`;
    if (state === 'blackhole') return { kind: 'centre', receiver, up: false, blackhole: true };
    if (state !== 'down' && state !== 'up') return `expected down, up or blackhole, got '${state}'`;
    return { kind: 'centre', receiver, up: state === 'up' };
  }
  if (verb === 'sms') {
    const bad = arity(1, 'down|up|refuse');
    if (bad) return bad;
    if (args[0] === 'refuse') return { kind: 'sms', up: true, refuse: true };
    if (args[0] !== 'down' && args[0] !== 'up') return `expected down, up or refuse, got '${args[0] ?? ''}'`;
    return { kind: 'sms', up: args[0] === 'up' };
  }
  if (verb === 'influx') {
    const bad = arity(1, 'down|up');
    if (bad) return bad;
    if (args[0] !== 'down' && args[0] !== 'up') return `expected down or up, got '${args[0] ?? ''}'`;
    return { kind: 'influx', up: args[0] === 'up' };
  }
  if (verb === 'flood') {
    const bad = arity(2, '<device> <count>');
    if (bad) return bad;
    const count = Number(args[1]);
    if (!Number.isInteger(count) || count < 1 || count > 100_000) return `count must be an integer 1..100000, got '${args[1] ?? ''}'`;
    return { kind: 'flood', device: args[0] as string, count };
  }
  return `unknown action '${verb}' (press, test-press, drop, restore, fault, lower, raise, impact, cover, uncover, freeze, unfreeze, centre, sms, influx, flood, malformed, wait)`;
}

function deviceErrors(action: Action, path: string, district: DistrictView | undefined): string[] {
  if (!district || !('device' in action)) return [];
  const device = district.devices.find((d) => d.id === action.device);
  if (!device) return [`${path}: unknown device '${action.device}'`];
  const needs: Partial<Record<Action['kind'], (d: DeviceInfo) => boolean>> = {
    press: (d) => d.kind === 'alarm-button' || d.adapter === 'panel-dc09',
    'test-press': (d) => d.kind === 'alarm-button' && d.adapter === 'mqtt-native',
    fault: (d) => d.kind === 'alarm-button' && d.adapter === 'mqtt-native',
    lower: (d) => d.kind === 'barrier',
    raise: (d) => d.kind === 'barrier',
    impact: (d) => d.kind === 'barrier',
    // A camera's lens covered (black picture) or its picture frozen; `freeze` also hangs an MQTT device.
    cover: (d) => d.adapter === 'camera-onvif',
    uncover: (d) => d.adapter === 'camera-onvif',
    freeze: (d) => d.adapter === 'camera-onvif' || d.adapter === 'mqtt-native',
    unfreeze: (d) => d.adapter === 'camera-onvif',
  };
  const ok = needs[action.kind] ?? ((d: DeviceInfo) => d.adapter === 'mqtt-native');
  return ok(device) ? [] : [`${path}: '${action.kind}' does not apply to '${device.id}' (${device.kind}, ${device.adapter})`];
}

function validZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function label(kind: ExpectationKind, body: Record<string, unknown>): string {
  if (kind === 'figure') {
    const f = body as { name: string; max?: number; min?: number; relativeTo?: string; factor?: number; plus?: number };
    const rel = f.relativeTo !== undefined ? [`<= ${f.relativeTo}${f.factor !== undefined ? ` x ${f.factor}` : ''}${f.plus !== undefined ? ` + ${f.plus}` : ''}`] : [];
    return ['figure', f.name, ...(f.min !== undefined ? [`>= ${f.min}`] : []), ...(f.max !== undefined ? [`<= ${f.max}`] : []), ...rel].join(' ');
  }
  const parts = Object.entries(body)
    .filter(([k]) => !['within', 'during', 'after'].includes(k))
    .map(([, v]) => String(v));
  const from = typeof body.after === 'number' && body.after > 0 ? ` after ${body.after}s` : '';
  const time = typeof body.during === 'number' ? `during ${body.during}s` : `within ${String(body.within)}s`;
  return [kind, ...parts, time].join(' ') + from;
}

function expectationErrors(e: Expectation, path: string, district: DistrictView | undefined): string[] {
  const errors: string[] = [];
  const p = `${path}/${e.kind}`;
  if ((e.kind === 'alarm' || e.kind === 'no-alarm') && !(ALARM_TYPES as readonly string[]).includes(e.type)) {
    errors.push(`${p}/type: unknown alarm type '${e.type}' (one of ${ALARM_TYPES.join(', ')})`);
  }
  if (e.kind === 'device-reason' && !(HEALTH_REASONS as readonly string[]).includes(e.reason)) errors.push(`${p}/reason: unknown reason '${e.reason}'`);
  if (e.kind === 'forwarded-to-110' && !e.device && !e.account) errors.push(`${p}: needs device or account`);
  if (e.kind === 'figure' && e.max === undefined && e.min === undefined && e.relativeTo === undefined) errors.push(`${p}: needs max, min or relativeTo`);
  if ((e.kind === 'broadcast-failed' || e.kind === 'broadcast-delivered') && e.alarmType && !(ALARM_TYPES as readonly string[]).includes(e.alarmType)) {
    errors.push(`${p}/alarmType: unknown alarm type '${e.alarmType}'`);
  }
  if (district) {
    if ('device' in e && e.device && !district.devices.some((d) => d.id === e.device)) errors.push(`${p}/device: unknown device '${e.device}'`);
    if ('site' in e && e.site && !district.sites.some((s) => s.id === e.site)) errors.push(`${p}/site: unknown site '${e.site}'`);
  }
  return errors;
}

/** Validates a parsed YAML value; throws GW_ERR_SCENARIO_INVALID listing every `path: message`. */
export function validateScenario(raw: unknown, source = '<scenario>', district?: DistrictView): Scenario {
  // The time zone's default, before the check (as the gateway's config loader does).
  if (isPlain(raw) && isPlain(raw.clock) && raw.clock.timeZone === undefined) raw = { ...raw, clock: { ...raw.clock, timeZone: 'Asia/Shanghai' } };
  // One message per path (TypeBox reports a missing number as missing and as not a number).
  const byPath = new Map<string, string>();
  for (const e of compiled.Errors(raw)) if (!byPath.has(e.path || '/')) byPath.set(e.path || '/', e.message);
  // A clock object gets its own messages rather than the union's "Expected union value".
  if (isPlain(raw) && isPlain(raw.clock) && byPath.has('/clock')) {
    byPath.delete('/clock');
    for (const e of clockOk.Errors(raw.clock)) if (!byPath.has(`/clock${e.path}`)) byPath.set(`/clock${e.path}`, e.message);
  }
  const errors = [...byPath].map(([path, message]) => `${path}: ${message}`);
  if (!isPlain(raw)) throw scenarioInvalid(source, errors);
  // Steps and expectations that are well-formed on their own are checked further even when
  // something else in the file is wrong, so one run lists every problem.
  const file = raw as ScenarioFile;
  const rawSteps: unknown[] = Array.isArray(raw.steps) ? raw.steps : [];
  const rawExpect: unknown[] = Array.isArray(raw.expect) ? raw.expect : [];
  let clock: Scenario['clock'];
  if (typeof file.clock === 'string') {
    const at = Date.parse(file.clock);
    if (Number.isNaN(at)) errors.push(`/clock: not an ISO 8601 time: '${file.clock}'`);
    clock = { at };
  } else if (isPlain(file.clock) && clockOk.Check(file.clock)) {
    const c = file.clock;
    if (!validZone(c.timeZone)) errors.push(`/clock/timeZone: unknown time zone '${c.timeZone}'`);
    if (district && c.holidaysOf && !district.sites.some((x) => x.id === c.holidaysOf)) errors.push(`/clock/holidaysOf: unknown site '${c.holidaysOf}'`);
    clock = { weekday: c.weekday, time: c.time, timeZone: c.timeZone, ...(c.holidaysOf ? { holidaysOf: c.holidaysOf } : {}) };
  }
  if (district && Array.isArray(file.sites)) {
    file.sites.forEach((s, i) => {
      if (typeof s === 'string' && !district.sites.some((x) => x.id === s)) errors.push(`/sites/${i}: unknown site '${s}'`);
    });
  }
  if (Array.isArray(file.probe?.sites) && district) {
    file.probe.sites.forEach((site, i) => {
      if (typeof site === 'string' && !district.sites.some((x) => x.id === site)) errors.push(`/probe/sites/${i}: unknown site '${site}'`);
    });
  }
  if (Array.isArray(file.phases)) {
    const names = new Set<string>();
    file.phases.forEach((ph, i) => {
      if (!isPlain(ph)) return;
      if (typeof ph.from === 'number' && typeof ph.to === 'number' && ph.to <= ph.from) errors.push(`/phases/${i}: 'to' must be after 'from'`);
      if (names.has(ph.name)) errors.push(`/phases/${i}/name: duplicate phase '${ph.name}'`);
      names.add(ph.name);
    });
  }
  const steps: Step[] = [];
  rawSteps.forEach((item, i) => {
    if (!stepOk.Check(item)) return;
    const s = item as ScenarioFile['steps'][number];
    const action = parseAction(s.do);
    if (typeof action === 'string') errors.push(`/steps/${i}/do: ${action}`);
    else {
      errors.push(...deviceErrors(action, `/steps/${i}/do`, district));
      if (action.kind === 'influx' && file.influx !== true) errors.push(`/steps/${i}/do: 'influx' needs 'influx: true' (the runner's own InfluxDB)`);
      steps.push({ at: s.at, text: s.do.trim(), action });
    }
  });
  const expect: Expectation[] = [];
  rawExpect.forEach((item, i) => {
    if (!expectOk.Check(item)) return;
    const entry = item as ScenarioFile['expect'][number];
    const keys = KINDS.filter((k) => entry[k] !== undefined);
    if (keys.length !== 1) {
      errors.push(`/expect/${i}: needs exactly one of ${KINDS.join(', ')} (got ${keys.length === 0 ? 'none' : keys.join(', ')})`);
      return;
    }
    const kind = keys[0] as ExpectationKind;
    const body = entry[kind] as Record<string, unknown>;
    const e = { kind, label: label(kind, body), ...body } as Expectation;
    errors.push(...expectationErrors(e, `/expect/${i}`, district));
    expect.push(e);
  });
  if (errors.length > 0) throw scenarioInvalid(source, errors);
  return {
    name: file.name,
    description: file.description,
    ...(clock !== undefined ? { clock } : {}),
    config: file.config ?? {},
    ...(file.sites ? { sites: file.sites } : {}),
    ...(file.influx === true ? { influx: true as const } : {}),
    ...(file.probe ? { probe: file.probe } : {}),
    ...(file.phases ? { phases: file.phases } : {}),
    heartbeatSeconds: file.heartbeatSeconds ?? 2,
    ...(file.heartbeatSeconds !== undefined ? { heartbeatSecondsSet: true as const } : {}),
    steps: steps.sort((a, b) => a.at - b.at),
    expect,
    source,
  };
}

/** Values for `${NAME:-default}` in a scenario file: the environment, or the CLI's `--set NAME=value`. */
export type ScenarioVars = Readonly<Record<string, string | undefined>>;

const VAR = /\$\{([A-Z][A-Z0-9_]*)(?::-([^}]*))?\}/g;
const SUM = /^\s*\d+(?:\.\d+)?(?:\s*\+\s*\d+(?:\.\d+)?)+\s*$/;

/**
 * `${NAME:-default}` is replaced by the variable's value (or the default) before the YAML is
 * read, so a long scenario can be played short (CHAOS_INFLUX_DOWN_SECONDS=20); an unset
 * variable without a default is an error.
 */
export function substituteVars(text: string, vars: ScenarioVars): { text: string; missing: string[] } {
  const missing: string[] = [];
  const out = text.replace(VAR, (_m, name: string, fallback: string | undefined) => {
    const v = vars[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    missing.push(name);
    return '0';
  });
  return { text: out, missing };
}

/** A string that is a sum of numbers (`60 + 600`, what `${A} + ${B}` becomes) is that number. */
function sums(v: unknown): unknown {
  if (typeof v === 'string' && SUM.test(v)) return v.split('+').reduce((a, x) => a + Number(x), 0);
  if (Array.isArray(v)) return v.map(sums);
  if (isPlain(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sums(x)]));
  return v;
}

/** Parses YAML text and validates it; YAML syntax errors are reported as `line:col: message`. */
export function parseScenario(raw: string, source = '<scenario>', district?: DistrictView, vars: ScenarioVars = {}): Scenario {
  const { text, missing } = substituteVars(raw, vars);
  if (missing.length > 0) throw scenarioInvalid(source, missing.map((n) => `/: \${${n}} is not set and has no default`));
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw scenarioInvalid(
      source,
      doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0]);
        return `${at.line}:${at.col}: ${e.message.split('\n')[0] ?? ''}`;
      }),
    );
  }
  return validateScenario(sums(doc.toJS()), source, district);
}

/** Reads and validates a scenario file; `${NAME:-default}` comes from `vars` (the CLI passes the environment and its --set). */
export function loadScenario(file: string, district?: DistrictView, vars: ScenarioVars = {}): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw scenarioInvalid(file, [`/: ${(cause as Error).message}`]);
  }
  return parseScenario(text, file, district, vars);
}
