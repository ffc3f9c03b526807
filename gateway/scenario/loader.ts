/**
 * Reads a scenario file: YAML (the `yaml` package), the TypeBox schema, then the action
 * strings, alarm types, reasons and device ids against the district. Every problem is
 * reported as `path: message` (JSON-pointer paths, like the gateway's configuration loader),
 * all of them at once.
 */
import { readFileSync } from 'node:fs';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { parseDocument } from 'yaml';
import { BUTTON_FAULTS } from '../../simulators/alarm-button.js';
import { ALARM_TYPES, HEALTH_REASONS } from '../core/types.js';
import { ScenarioFileSchema, type Action, type Expectation, type ExpectationKind, type Scenario, type ScenarioFile, type Step } from './schema.js';

export const SCENARIO_INVALID = 'GW_ERR_SCENARIO_INVALID';

/** A scenario that cannot be run; `errors` lists every `path: message`. */
export class ScenarioError extends Error {
  readonly code = SCENARIO_INVALID;
  constructor(
    readonly source: string,
    readonly errors: string[],
  ) {
    super(`scenario is invalid: ${source}\n${errors.map((e) => `  ${e}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

/** What the loader needs to know of the district to check device ids (optional). */
export interface DistrictView {
  devices: readonly { id: string; kind: string; adapter: string; siteId: string }[];
  sites: readonly { id: string; arcAccount?: string }[];
}

type DeviceInfo = DistrictView['devices'][number];

const compiled = TypeCompiler.Compile(ScenarioFileSchema);
const KINDS: readonly ExpectationKind[] = ['alarm', 'forwarded-to-110', 'broadcast-delivered', 'device-reason', 'no-alarm'];
const DEVICE_ACTIONS = ['press', 'test-press', 'drop', 'restore', 'malformed', 'lower', 'raise', 'impact'] as const;
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
    const bad = arity(2, 'primary|secondary down|up');
    if (bad) return bad;
    const [receiver, state] = args as [string, string];
    if (receiver !== 'primary' && receiver !== 'secondary') return `expected primary or secondary, got '${receiver}'`;
    if (state !== 'down' && state !== 'up') return `expected down or up, got '${state}'`;
    return { kind: 'centre', receiver, up: state === 'up' };
  }
  if (verb === 'sms') {
    const bad = arity(1, 'down|up');
    if (bad) return bad;
    if (args[0] !== 'down' && args[0] !== 'up') return `expected down or up, got '${args[0] ?? ''}'`;
    return { kind: 'sms', up: args[0] === 'up' };
  }
  if (verb === 'flood') {
    const bad = arity(2, '<device> <count>');
    if (bad) return bad;
    const count = Number(args[1]);
    if (!Number.isInteger(count) || count < 1 || count > 100_000) return `count must be an integer 1..100000, got '${args[1] ?? ''}'`;
    return { kind: 'flood', device: args[0] as string, count };
  }
  return `unknown action '${verb}' (press, test-press, drop, restore, fault, lower, raise, impact, centre, sms, flood, malformed, wait)`;
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
  };
  const ok = needs[action.kind] ?? ((d: DeviceInfo) => d.adapter === 'mqtt-native');
  return ok(device) ? [] : [`${path}: '${action.kind}' does not apply to '${device.id}' (${device.kind}, ${device.adapter})`];
}

function label(kind: ExpectationKind, body: Record<string, unknown>): string {
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
  if (district) {
    if ('device' in e && e.device && !district.devices.some((d) => d.id === e.device)) errors.push(`${p}/device: unknown device '${e.device}'`);
    if ('site' in e && e.site && !district.sites.some((s) => s.id === e.site)) errors.push(`${p}/site: unknown site '${e.site}'`);
  }
  return errors;
}

/** Validates a parsed YAML value; throws ScenarioError listing every `path: message`. */
export function validateScenario(raw: unknown, source = '<scenario>', district?: DistrictView): Scenario {
  const schemaErrors = [...compiled.Errors(raw)].map((e) => `${e.path || '/'}: ${e.message}`);
  if (schemaErrors.length > 0) throw new ScenarioError(source, [...new Set(schemaErrors)]);
  const file = raw as ScenarioFile;
  const errors: string[] = [];
  let clock: number | undefined;
  if (file.clock !== undefined) {
    clock = Date.parse(file.clock);
    if (Number.isNaN(clock)) errors.push(`/clock: not an ISO 8601 time: '${file.clock}'`);
  }
  if (district && file.sites) {
    file.sites.forEach((s, i) => {
      if (!district.sites.some((x) => x.id === s)) errors.push(`/sites/${i}: unknown site '${s}'`);
    });
  }
  const steps: Step[] = [];
  file.steps.forEach((s, i) => {
    const action = parseAction(s.do);
    if (typeof action === 'string') errors.push(`/steps/${i}/do: ${action}`);
    else {
      errors.push(...deviceErrors(action, `/steps/${i}/do`, district));
      steps.push({ at: s.at, text: s.do.trim(), action });
    }
  });
  const expect: Expectation[] = [];
  file.expect.forEach((entry, i) => {
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
  if (errors.length > 0) throw new ScenarioError(source, errors);
  return {
    name: file.name,
    description: file.description,
    ...(clock !== undefined ? { clock } : {}),
    config: file.config ?? {},
    ...(file.sites ? { sites: file.sites } : {}),
    heartbeatSeconds: file.heartbeatSeconds ?? 2,
    steps: steps.sort((a, b) => a.at - b.at),
    expect,
    source,
  };
}

/** Parses YAML text and validates it; YAML syntax errors are reported as `line:col: message`. */
export function parseScenario(text: string, source = '<scenario>', district?: DistrictView): Scenario {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      source,
      doc.errors.map((e) => `${e.linePos ? `${e.linePos[0].line}:${e.linePos[0].col}` : '/'}: ${e.message.split('\n')[0] ?? ''}`),
    );
  }
  return validateScenario(doc.toJS(), source, district);
}

/** Reads and validates a scenario file. */
export function loadScenario(file: string, district?: DistrictView): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ScenarioError(file, [`/: ${(cause as Error).message}`]);
  }
  return parseScenario(text, file, district);
}
