/**
 * Test harness: the gateway's real MQTT broker (gateway/broker: device authentication, the v1
 * topic ACL, handlers that run before PUBACK) on 127.0.0.1:0, loaded from a small district
 * configuration with a radio dispatch gateway device; a recording adapter context whose bus is
 * that broker's bus; and the radio adapter and the simulated radio gateway connected over TCP.
 * (The radio adapter is not in adapters/registry.ts yet, so gateway/app.ts build() cannot host it.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { radioAdapter, resolveRadioConfig, type RadioAdapter, type RadioConfigInput } from '../../../../adapters/radio/index.js';
import { Broker } from '../../../../gateway/broker/broker.js';
import { loadConfig, type LoadedConfig } from '../../../../gateway/config/load.js';
import { Counters } from '../../../../gateway/core/counters.js';
import type { HealthReasonCode } from '../../../../gateway/contract/vocabulary.js';
import { RadioGatewaySimulator, type RadioGatewayStartOptions } from '../../../../simulators/radio-gateway/radio-gateway-simulator.js';
import { fakeContext, makeRegistry, type FakeContext, type RecordedCondition } from '../../../helpers/fake-context.js';

export const RADIO = 'radio-1';
export const RADIO_SITE = 'ps-1';
export const RADIO_SECRET = 'radio-1-demo-secret';

const site = (id: string, name: string, radio?: string) => ({
  id,
  name,
  district: 'test',
  contacts: radio ? [{ name: `${name}门卫室`, role: 'guard-post', radio }] : [],
});

/** A police station hosting the radio gateway and two schools whose guard posts have talkgroups. */
export function loadRadioDistrict(dataDir: string): LoadedConfig {
  return loadConfig({
    files: [],
    env: {},
    overrides: {
      district: { id: 'test', name: '测试区' },
      dataDir,
      log: { level: 'silent' },
      mqtt: { host: '127.0.0.1', port: 0, persistence: 'memory' },
      sites: [
        { ...site(RADIO_SITE, '城东派出所'), devices: [{ id: RADIO, kind: 'radio', adapter: 'radio', name: '对讲调度网关', secret: RADIO_SECRET }] },
        site('sch-01', '城东区第一中学', 'tg-sch-01'),
        site('sch-02', '城东区第二小学', 'tg-sch-02'),
      ],
    },
  });
}

export interface BrokerHandle {
  broker: Broker;
  dataDir: string;
  loaded: LoadedConfig;
  url: string;
  stop(): Promise<void>;
}

export async function startBroker(): Promise<BrokerHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'radio-test-'));
  const loaded = loadRadioDistrict(dataDir);
  const broker = new Broker({
    config: loaded.config,
    registry: makeRegistry(loaded.sites, loaded.devices),
    log: pino({ level: process.env.TEST_LOG ?? 'silent' }),
    counters: new Counters(),
    dataDir,
  });
  await broker.start();
  await broker.listen();
  return {
    broker,
    dataDir,
    loaded,
    url: `mqtt://127.0.0.1:${broker.port}`,
    async stop() {
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Rig {
  ctx: FakeContext;
  adapter: RadioAdapter;
  sim: RadioGatewaySimulator;
  broker: BrokerHandle;
  /** Resolves when setCondition(RADIO, code, active) is (or was, at index >= from) reported. */
  condition(code: HealthReasonCode, active: boolean, from?: number, timeoutMs?: number): Promise<RecordedCondition>;
  stop(): Promise<void>;
}

export const FAST: RadioConfigInput = { ackTimeoutMs: 150, retries: 2, heartbeatIntervalMs: 100, missedHeartbeats: 3, pingTimeoutMs: 200 };

export async function startRig(opts: { cfg?: RadioConfigInput; sim?: Partial<RadioGatewayStartOptions> } = {}): Promise<Rig> {
  const broker = await startBroker();
  // The adapter's data dir (its roll-call store) is the broker's temporary one.
  const ctx = Object.assign(fakeContext({ sites: broker.loaded.sites, devices: broker.loaded.devices, dataDir: broker.dataDir }), { bus: broker.broker.bus });
  const adapter = radioAdapter.create(resolveRadioConfig({ ...FAST, ...opts.cfg }), ctx);
  await adapter.start();
  const sim = new RadioGatewaySimulator();
  sim.setMode({ ackDelayMs: 10 });
  await sim.start({ url: broker.url, deviceId: RADIO, siteId: RADIO_SITE, password: RADIO_SECRET, heartbeatMs: 100, reconnectMs: 0, ...opts.sim });
  return {
    ctx,
    adapter,
    sim,
    broker,
    condition: (code, active, from = 0, timeoutMs = 5000) => ctx.waitForCondition(RADIO, code, active, { from, timeoutMs }),
    async stop() {
      await sim.stop();
      await adapter.stop();
      await broker.stop();
    },
  };
}
