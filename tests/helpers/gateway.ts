/**
 * Starts the real gateway (default district configuration) on ephemeral loopback ports with
 * a temporary data dir, for integration tests. Every gateway started is closed by the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import { build, type BuildOptions, type Gateway } from '../../gateway/app.js';
import { loadConfig, mergeLayers } from '../../gateway/config/load.js';
import type { AlarmCentreSimulator } from '../../simulators/alarm-centre/alarm-centre-simulator.js';
import type { SmsCentreSimulator } from '../../simulators/sms-centre/sms-centre-simulator.js';
import type { BarrierControllerSimulator } from '../../simulators/barrier-modbus/simulator.js';
import { operatorApi, type OperatorApi } from './operator-api.js';
import { startEphemeralFarEnds, type EphemeralFarEnds } from '../../simulators/ephemeral-far-ends.js';
import { SimulatorControl } from '../../simulators/control.js';

/** `login(username?)` and `api(path, { as })` talk HTTP as a demo operator (tests/helpers/operator-api.ts). */
export interface TestGateway extends OperatorApi {
  gw: Gateway;
  /** The simulated 110 centre's primary and secondary receivers this gateway is linked to. */
  centre: { primary: AlarmCentreSimulator; secondary: AlarmCentreSimulator; sms: SmsCentreSimulator; plc: BarrierControllerSimulator };
  /**
   * The simulator control behind /api/simulators (every test gateway serves it, as `npm start`
   * does): its far ends from the start; attach a DistrictSimulator to control devices too.
   */
  simulators: SimulatorControl;
  httpPort: number;
  mqttPort: number;
  dataDir: string;
  baseUrl: string;
  mqttUrl: string;
  /** Closes and builds again on the same data dir (and the same overrides). */
  restart(): Promise<TestGateway>;
  /** Closes the gateway and its far ends; removes the data dir unless `keepData`. */
  close(opts?: { keepData?: boolean }): Promise<void>;
}

export function tempDir(prefix = 'gw-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Default: a fresh data dir, ephemeral ports, and two 110 receiver simulators for the link
 * (kept across restart()); `overrides` are laid over the default district configuration.
 */
export async function startGateway(
  overrides: Record<string, unknown> = {},
  opts: BuildOptions & { dataDir?: string; centre?: EphemeralFarEnds } = {},
): Promise<TestGateway> {
  const dataDir = opts.dataDir ?? tempDir();
  const centre = opts.centre ?? (await startEphemeralFarEnds());
  const base = {
    dataDir,
    ...centre.overrides,
    log: { level: 'silent' },
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { host: '127.0.0.1', port: 0 },
  };
  const loaded = loadConfig({ env: {}, overrides: mergeLayers(base, overrides) as Record<string, unknown> });
  const simulators = new SimulatorControl({ devices: loaded.devices, simulators: centre.simulators });
  const gw = await build(loaded, { log: pino({ level: process.env.TEST_LOG ?? 'silent' }), simulators, ...opts });
  const { httpPort, mqttPort } = await gw.listen();
  let closed = false;
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const { login, api } = operatorApi(baseUrl);
  const handle: TestGateway = {
    gw,
    centre: { primary: centre.primary, secondary: centre.secondary, sms: centre.sms, plc: centre.plc },
    simulators,
    httpPort,
    mqttPort,
    dataDir,
    baseUrl,
    login,
    api,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    async restart() {
      closed = true;
      await gw.close();
      return startGateway(overrides, { ...opts, dataDir, centre });
    },
    async close(opts: { keepData?: boolean } = {}) {
      if (!closed) await gw.close();
      closed = true;
      await centre.stop();
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** Connects as a configured device (username = device id, password = its demo secret). */
export async function connectAs(url: string, deviceId: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: deviceId,
    username: deviceId,
    password: `demo-pass-${deviceId}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...opts,
  });
}

/** Polls a condition with a bounded number of tries (for state observed over HTTP). */
export async function eventually<T>(fn: () => Promise<T | undefined> | T | undefined, opts: { timeoutMs?: number; everyMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 25));
  }
  throw new Error(`condition not met in time${last ? `: ${(last as Error).message}` : ''}`);
}
