import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../gateway/config/load.js';
import { isGatewayError } from '../../../../gateway/contract/errors.js';
import { loadScenario, parseAction, parseScenario, type DistrictView } from '../../../../simulators/scenario/loader.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const district: DistrictView = {
  sites: [{ id: 'sch-01', arcAccount: '1001' }, { id: 'sch-02' }],
  devices: [
    { id: 'sch-01-btn-1', kind: 'alarm-button', adapter: 'mqtt-native', siteId: 'sch-01' },
    { id: 'sch-01-bar-1', kind: 'barrier', adapter: 'barrier-modbus', siteId: 'sch-01' },
    { id: 'sch-02-cam-1', kind: 'camera', adapter: 'camera-onvif', siteId: 'sch-02' },
  ],
};

/** The `path: message` lines of a rejected scenario. */
function errorsOf(text: string, withDistrict = true): string[] {
  try {
    parseScenario(text, 'test.yaml', withDistrict ? district : undefined);
  } catch (err) {
    if (isGatewayError(err, 'GW_ERR_SCENARIO_INVALID')) return err.details;
    throw err;
  }
  throw new Error('accepted');
}

const head = 'name: x\ndescription: y\n';

describe('scenario loader', () => {
  it('normalises a valid file: actions parsed, steps in time order, labels, defaults', () => {
    const s = parseScenario(
      `${head}clock: { weekday: 1, time: "07:38", holidaysOf: sch-01 }
config: { barriers: { downInWindowGraceSeconds: 1 } }
sites: [sch-01]
steps:
  - { at: 2, do: "centre primary down" }
  - { at: 1, do: "fault sch-01-btn-1 sim-suspended on", note: 欠费 }
  - { at: 3, do: "flood sch-01-btn-1 500" }
expect:
  - alarm: { type: panic, device: sch-01-btn-1, after: 1, within: 2 }
  - no-alarm: { type: tamper, during: 4 }
  - broadcast-delivered: { channel: radio, state: sent, within: 5 }
`,
      'test.yaml',
      district,
    );
    expect(s).toStrictEqual({
      name: 'x',
      description: 'y',
      clock: { weekday: 1, time: '07:38', timeZone: 'Asia/Shanghai', holidaysOf: 'sch-01' },
      config: { barriers: { downInWindowGraceSeconds: 1 } },
      sites: ['sch-01'],
      heartbeatSeconds: 2,
      steps: [
        { at: 1, text: 'fault sch-01-btn-1 sim-suspended on', action: { kind: 'fault', device: 'sch-01-btn-1', fault: 'sim-suspended', on: true } },
        { at: 2, text: 'centre primary down', action: { kind: 'centre', receiver: 'primary', up: false } },
        { at: 3, text: 'flood sch-01-btn-1 500', action: { kind: 'flood', device: 'sch-01-btn-1', count: 500 } },
      ],
      expect: [
        { kind: 'alarm', label: 'alarm panic sch-01-btn-1 within 2s after 1s', type: 'panic', device: 'sch-01-btn-1', after: 1, within: 2 },
        { kind: 'no-alarm', label: 'no-alarm tamper during 4s', type: 'tamper', during: 4 },
        { kind: 'broadcast-delivered', label: 'broadcast-delivered radio sent within 5s', channel: 'radio', state: 'sent', within: 5 },
      ],
      source: 'test.yaml',
    });
  });

  it('reports structural errors with their paths, and still checks the well-formed steps', () => {
    expect(
      errorsOf(`name: ""
steps:
  - { at: -1, do: press sch-01-btn-1 }
  - { at: 1, do: pres sch-01-btn-1 }
  - { at: 2, do: wait, extra: 1 }
expect:
  - alarm: { type: panic, within: "soon" }
  - forwarded-to-110: { device: sch-01-btn-1, within: 5, receiver: tertiary }
`),
    ).toStrictEqual([
      '/description: Expected required property',
      '/name: Expected string length greater or equal to 1',
      '/steps/0/at: Expected number to be greater or equal to 0',
      '/steps/2/extra: Unexpected property',
      '/expect/0/alarm/within: Expected number',
      '/expect/1/forwarded-to-110/receiver: Expected union value',
      "/steps/1/do: unknown action 'pres' (press, test-press, drop, restore, fault, lower, raise, impact, cover, uncover, freeze, unfreeze, centre, sms, influx, flood, malformed, wait)",
    ]);
  });

  it('reports bad actions, unknown devices, types, reasons, sites and clocks', () => {
    expect(
      errorsOf(`${head}clock: "next monday"
sites: [sch-99]
steps:
  - { at: 0, do: press }
  - { at: 0, do: fault sch-01-btn-1 exploded on }
  - { at: 0, do: fault sch-01-btn-1 dead maybe }
  - { at: 0, do: centre tertiary down }
  - { at: 0, do: sms sideways }
  - { at: 0, do: flood sch-01-btn-1 lots }
  - { at: 0, do: press sch-01-bar-1 }
  - { at: 0, do: lower sch-01-btn-1 }
  - { at: 0, do: drop sch-02-cam-1 }
  - { at: 0, do: restore sch-99-btn-1 }
  - { at: 0, do: wait 5 }
expect:
  - alarm: { type: fire, site: sch-77, within: 1 }
  - device-reason: { device: sch-01-btn-1, reason: sad, within: 1 }
  - forwarded-to-110: { within: 1 }
  - {}
  - alarm: { type: panic, within: 1 }
    no-alarm: { type: panic, during: 1 }
`),
    ).toStrictEqual([
      "/clock: not an ISO 8601 time: 'next monday'",
      "/sites/0: unknown site 'sch-99'",
      "/steps/0/do: 'press' takes one device id",
      "/steps/1/do: unknown fault 'exploded' (one of dead, sim-suspended, fault, low-battery, tamper, sim-expiring, no-link-test)",
      "/steps/2/do: expected on or off, got 'maybe'",
      "/steps/3/do: expected primary or secondary, got 'tertiary'",
      "/steps/4/do: expected down, up or refuse, got 'sideways'",
      "/steps/5/do: count must be an integer 1..100000, got 'lots'",
      "/steps/6/do: 'press' does not apply to 'sch-01-bar-1' (barrier, barrier-modbus)",
      "/steps/7/do: 'lower' does not apply to 'sch-01-btn-1' (alarm-button, mqtt-native)",
      "/steps/8/do: 'drop' does not apply to 'sch-02-cam-1' (camera, camera-onvif)",
      "/steps/9/do: unknown device 'sch-99-btn-1'",
      "/steps/10/do: 'wait' takes no argument",
      '/expect/0/alarm/type: unknown alarm type \'fire\' (one of panic, device-offline, device-fault, tamper, barrier-impact, barrier-down-in-window, barrier-fault, camera-fault, link-down, channel-down, storage-full, node-down)',
      "/expect/0/alarm/site: unknown site 'sch-77'",
      "/expect/1/device-reason/reason: unknown reason 'sad'",
      '/expect/2/forwarded-to-110: needs device or account',
      '/expect/3: needs exactly one of alarm, forwarded-to-110, broadcast-delivered, device-reason, no-alarm, broadcast-failed, figure (got none)',
      '/expect/4: needs exactly one of alarm, forwarded-to-110, broadcast-delivered, device-reason, no-alarm, broadcast-failed, figure (got alarm, no-alarm)',
    ]);
  });

  it('skips device checks without a district view', () => {
    const s = parseScenario(`${head}steps: [{ at: 0, do: press nobody }]\nexpect: [{ no-alarm: { type: panic, during: 1 } }]\n`);
    expect(s.steps).toStrictEqual([{ at: 0, text: 'press nobody', action: { kind: 'press', device: 'nobody' } }]);
    expect(errorsOf(`${head}steps: [{ at: 0, do: press nobody }]\nexpect: [{ no-alarm: { type: panic, during: 1 } }]\n`)).toStrictEqual([
      "/steps/0/do: unknown device 'nobody'",
    ]);
  });

  it('reports YAML syntax errors with line:col, a wrong top level and an unreadable file', () => {
    expect(errorsOf(`${head}steps:\n  - { at: 1, do: wait\nexpect: []\n`)).toStrictEqual(['5:1: Flow map in block collection must be sufficiently indented and end with a }']);
    expect(errorsOf('- just\n- a list\n')).toStrictEqual(['/: Expected object']);
    expect(errorsOf(`${head}clock: { weekday: 8, time: "25:00", timeZone: Mars/Olympus }\nsteps: []\nexpect: [{ no-alarm: { type: panic, during: 1 } }]\n`)).toStrictEqual([
      '/clock/weekday: Expected integer to be less or equal to 7',
      "/clock/time: Expected string to match '^([01][0-9]|2[0-3]):[0-5][0-9]$'",
    ]);
    expect(() => loadScenario(join(ROOT, 'scenarios/no-such-file.yaml'))).toThrow(/ENOENT/);
  });

  it('rejects an unknown time zone in a weekday clock', () => {
    expect(errorsOf(`${head}clock: { weekday: 1, time: "07:38", timeZone: Mars/Olympus }\nsteps: []\nexpect: [{ no-alarm: { type: panic, during: 1 } }]\n`)).toStrictEqual([
      "/clock/timeZone: unknown time zone 'Mars/Olympus'",
    ]);
  });

  it('parses every action form', () => {
    expect(['press a', 'test-press a', 'drop a', 'restore a', 'malformed a', 'raise b', 'impact b', 'fault a dead off', 'centre secondary up', 'sms up', 'flood a 3', 'wait'].map(parseAction)).toStrictEqual([
      { kind: 'press', device: 'a' },
      { kind: 'test-press', device: 'a' },
      { kind: 'drop', device: 'a' },
      { kind: 'restore', device: 'a' },
      { kind: 'malformed', device: 'a' },
      { kind: 'raise', device: 'b' },
      { kind: 'impact', device: 'b' },
      { kind: 'fault', device: 'a', fault: 'dead', on: false },
      { kind: 'centre', receiver: 'secondary', up: true },
      { kind: 'sms', up: true },
      { kind: 'flood', device: 'a', count: 3 },
      { kind: 'wait' },
    ]);
  });

  it('parses the chaos actions: a black-holed receiver, a refusing SMS centre, InfluxDB down and up', () => {
    expect(['centre primary blackhole', 'sms refuse', 'influx down', 'influx up'].map(parseAction)).toStrictEqual([
      { kind: 'centre', receiver: 'primary', up: false, blackhole: true },
      { kind: 'sms', up: true, refuse: true },
      { kind: 'influx', up: false },
      { kind: 'influx', up: true },
    ]);
    expect(parseAction('influx sideways')).toBe("expected down or up, got 'sideways'");
  });

  it('replaces ${NAME:-default} from the variables given, sums `a + b`, and refuses an unset variable without a default', () => {
    const text = `${head}influx: true
probe: { everySeconds: \${PROBE:-2} }
phases: [{ name: before, from: 0, to: \${BEFORE:-60} }, { name: during, from: \${BEFORE:-60}, to: "\${BEFORE:-60} + \${DOWN:-600}" }]
steps: [{ at: "\${BEFORE:-60} + \${DOWN:-600}", do: influx up }]
expect: [{ figure: { name: telemetry.lost, max: 0 } }, { forwarded-to-110: { account: "1001", within: 5 } }]
`;
    const full = parseScenario(text, 'test.yaml', district);
    expect([full.probe, full.phases, full.steps[0]?.at, full.influx]).toStrictEqual([{ everySeconds: 2 }, [{ name: 'before', from: 0, to: 60 }, { name: 'during', from: 60, to: 660 }], 660, true]);
    const short = parseScenario(text, 'test.yaml', district, { DOWN: '10', BEFORE: '5' });
    expect([short.phases?.[1], short.steps[0]?.at]).toStrictEqual([{ name: 'during', from: 5, to: 15 }, 15]);
    // A quoted number that is no sum stays a string (an account).
    expect(short.expect[1]).toMatchObject({ kind: 'forwarded-to-110', account: '1001' });
    expect(short.expect[0]?.label).toBe('figure telemetry.lost <= 0');
    expect(() => parseScenario(`${head}steps: [{ at: \${NOWHERE}, do: wait }]\nexpect: [{ no-alarm: { type: panic, during: 1 } }]\n`, 't.yaml')).toThrow('/: ${NOWHERE} is not set and has no default');
  });

  it('refuses influx steps without influx: true, a figure with nothing to compare, overlapping phase names and unknown probe sites', () => {
    expect(
      errorsOf(`${head}probe: { everySeconds: 1, sites: [sch-09] }
phases: [{ name: a, from: 5, to: 5 }, { name: a, from: 0, to: 1 }]
steps: [{ at: 1, do: influx down }]
expect: [{ figure: { name: x } }]
`),
    ).toStrictEqual([
      "/probe/sites/0: unknown site 'sch-09'",
      "/phases/0: 'to' must be after 'from'",
      "/phases/1/name: duplicate phase 'a'",
      "/steps/0/do: 'influx' needs 'influx: true' (the runner's own InfluxDB)",
      '/expect/0/figure: needs max, min or relativeTo',
    ]);
  });

  it('loads every scenario in scenarios/ against the default district', () => {
    const real = loadConfig({ env: {} });
    const files = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) expect(loadScenario(join(ROOT, 'scenarios', f), real).name).toBe(f.replace(/\.yaml$/, ''));
  });
});
