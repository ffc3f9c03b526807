/**
 * Test harness: a real CmppIsmgSimulator on 127.0.0.1:0 and a real sms-cmpp adapter connected
 * to it, with a recording context (temp data dir for the receipt store) whose conditions and
 * listener events can be awaited. Every harness is stopped by its test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSmsCmppConfig, smsCmppAdapter, type LinkEvent, type SmsCmppAdapter, type SmsCmppConfigInput } from '../../../../adapters/sms-cmpp/index.js';
import type { HealthReasonCode } from '../../../../gateway/contract/vocabulary.js';
import { CmppIsmgSimulator, type IsmgMode, type IsmgStartOptions } from '../../../../simulators/sms-cmpp/ismg-simulator.js';
import { fakeContext, type FakeContext, type RecordedCondition } from '../../../helpers/fake-context.js';

export const CHANNEL = 'sms-cmpp-test';
export const SP_ID = '901234';
export const SECRET = 'secret0';

export interface CmppPair {
  sim: CmppIsmgSimulator;
  adapter: SmsCmppAdapter;
  ctx: FakeContext;
  port: number;
  dataDir: string;
  condition(code: HealthReasonCode, active: boolean, from?: number, timeoutMs?: number): Promise<RecordedCondition>;
  /** Resolves with the first value `subscribe` delivers that matches `pred`. */
  next<T>(subscribe: (cb: (v: T) => void) => () => void, pred?: (v: T) => boolean, timeoutMs?: number): Promise<T>;
  /** A new adapter instance on the same data dir (a gateway restart), started and connected. */
  restart(cfg?: Partial<SmsCmppConfigInput>): Promise<void>;
  stop(): Promise<void>;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

export function nextEvent<T>(subscribe: (cb: (v: T) => void) => () => void, pred: (v: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
  let off: () => void = () => undefined;
  const p = new Promise<T>((resolve) => {
    off = subscribe((v) => {
      if (pred(v)) {
        off();
        resolve(v);
      }
    });
  });
  return withTimeout(p, timeoutMs, 'listener event').finally(() => off());
}

export function adapterConfig(port: number, cfg: Partial<SmsCmppConfigInput> = {}) {
  return resolveSmsCmppConfig({
    deviceId: CHANNEL,
    host: '127.0.0.1',
    port,
    spId: SP_ID,
    sharedSecret: SECRET,
    srcId: '1065710001',
    serviceId: 'MJS0001',
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
    retryBackoffMs: 20,
    throttleBackoffMs: 20,
    throttleBackoffMaxMs: 200,
    connectTimeoutSeconds: 2,
    responseTimeoutSeconds: 2,
    ...cfg,
  });
}

export async function startCmppPair(opts: { sim?: IsmgStartOptions; mode?: Partial<IsmgMode>; cfg?: Partial<SmsCmppConfigInput>; connect?: boolean } = {}): Promise<CmppPair> {
  const sim = new CmppIsmgSimulator();
  const { port } = await sim.start({ spId: SP_ID, sharedSecret: SECRET, reportDelayMs: 20, ...opts.sim });
  if (opts.mode) sim.setMode(opts.mode);
  const dataDir = mkdtempSync(join(tmpdir(), 'cmpp-adapter-'));
  const ctx = fakeContext({ dataDir });
  const make = (cfg: Partial<SmsCmppConfigInput>) => smsCmppAdapter.create(adapterConfig(port, { ...opts.cfg, ...cfg }), ctx);
  const connected = (a: SmsCmppAdapter) => nextEvent<LinkEvent>((cb) => a.onLink(cb), (e) => e.connected);
  const pair: CmppPair = {
    sim,
    adapter: make({}),
    ctx,
    port,
    dataDir,
    condition: (code, active, from = 0, timeoutMs = 5000) => ctx.waitForCondition(CHANNEL, code, active, { from, timeoutMs }),
    next: nextEvent,
    async restart(cfg = {}) {
      await pair.adapter.stop();
      pair.adapter = make(cfg);
      const up = connected(pair.adapter);
      await pair.adapter.start();
      await up;
    },
    async stop() {
      await pair.adapter.stop();
      await sim.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const up = opts.connect === false ? undefined : connected(pair.adapter);
  await pair.adapter.start();
  await up;
  return pair;
}
