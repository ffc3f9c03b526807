/**
 * Test harness: a real SmsCentreSimulator on 127.0.0.1:0 and a real sms-smpp adapter bound
 * to it, with a recording context that can be awaited for conditions and listener events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HealthReasonCode } from '../../../../gateway/contract/vocabulary.js';
import { resolveSmsSmppConfig, smsSmppAdapter, type LinkEvent, type SmsSmppAdapter, type SmsSmppConfigInput } from '../../../../adapters/sms-smpp/index.js';
import { SmsCentreSimulator, type SmsCentreStartOptions } from '../../../../simulators/sms-centre/sms-centre-simulator.js';
import { fakeContext, type FakeContext, type RecordedCondition } from '../../../helpers/fake-context.js';

export const CHANNEL = 'sms-test';

export interface Pair {
  sim: SmsCentreSimulator;
  adapter: SmsSmppAdapter;
  ctx: FakeContext;
  port: number;
  /** Resolves when setCondition(CHANNEL, code, active) is (or was, after `from`) reported. */
  condition(code: HealthReasonCode, active: boolean, from?: number): Promise<RecordedCondition>;
  /** Resolves with the first value `subscribe` delivers that matches `pred`. */
  next<T>(subscribe: (cb: (v: T) => void) => () => void, pred?: (v: T) => boolean, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export async function startPair(opts: { sim?: SmsCentreStartOptions; cfg?: Partial<SmsSmppConfigInput>; bind?: boolean } = {}): Promise<Pair> {
  const sim = new SmsCentreSimulator();
  const { port } = await sim.start({ systemId: 'gateway', password: 'secret', receiptDelayMs: 20, ...opts.sim });
  // Its own data dir: the adapter keeps its receipt store there (smpp-recipients.db).
  const dataDir = mkdtempSync(join(tmpdir(), 'smpp-test-'));
  const ctx = fakeContext({ dataDir });
  const adapter = smsSmppAdapter.create(
    resolveSmsSmppConfig({
      deviceId: CHANNEL,
      host: '127.0.0.1',
      port,
      systemId: 'gateway',
      password: 'secret',
      sourceAddr: '10690110',
      enquireLinkMs: 5000,
      responseTimeoutMs: 2000,
      bindTimeoutMs: 2000,
      reconnectMinMs: 20,
      reconnectMaxMs: 200,
      retryBackoffMs: 20,
      throttleBackoffMs: 20,
      throttleBackoffMaxMs: 200,
      suspectReceiptMs: 0,
      ...opts.cfg,
    }),
    ctx,
  );
  const pair: Pair = {
    sim,
    adapter,
    ctx,
    port,
    condition: (code, active, from = 0) => ctx.waitForCondition(CHANNEL, code, active, { from }),
    next(subscribe, pred = () => true, timeoutMs = 5000) {
      let off: () => void = () => undefined;
      const p = new Promise<Parameters<typeof pred>[0]>((resolve) => {
        off = subscribe((v) => {
          if (pred(v)) {
            off();
            resolve(v);
          }
        });
      });
      return withTimeout(p, timeoutMs, 'listener event').finally(() => off());
    },
    async stop() {
      await adapter.stop();
      await sim.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await adapter.start();
  if (opts.bind !== false) await pair.next<LinkEvent>((cb) => adapter.onLink(cb), (e) => e.bound);
  return pair;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}
