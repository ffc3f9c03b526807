/**
 * Test harness for broadcasts: the real SmsCentreSimulator on 127.0.0.1:0, the real sms-smpp
 * adapter bound to it (recording context), a fake radio adapter, and the broadcast service
 * on a real StateStore (temp dir) with the real AlarmService and the default district.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { RollCallAck, TalkgroupOutcome, TransmitOptions } from '../../../adapters/radio/index.js';
import { resolveSmsSmppConfig, smsSmppAdapter, type SmsSmppAdapter, type SmsSmppConfigInput } from '../../../adapters/sms-smpp/index.js';
import { loadConfig } from '../../../gateway/config/load.js';
import { AlarmService } from '../../../gateway/core/alarms/service.js';
import { resolveBroadcastConfig } from '../../../gateway/core/broadcast/config.js';
import { radioBroadcastChannel, type RadioSender } from '../../../adapters/radio/broadcast-channel.js';
import { BroadcastService } from '../../../gateway/core/broadcast/service.js';
import { smsBroadcastChannel } from '../../../adapters/shared/sms-broadcast-channel.js';
import type { Broadcast, BroadcastChange } from '../../../gateway/core/broadcast/types.js';
import type { BroadcastChannel } from '../../../gateway/contract/capabilities.js';
import { systemClock } from '../../../gateway/contract/clock.js';
import { EventBus } from '../../../gateway/core/bus.js';
import { Registry } from '../../../gateway/core/devices/registry.js';
import { SqliteStateStore } from '../../../gateway/store/sqlite/state-store.js';
import { SmsCentreSimulator, type SmsCentreStartOptions } from '../../../simulators/sms-centre/sms-centre-simulator.js';
import { fakeContext, type FakeContext } from '../../helpers/fake-context.js';

/**
 * A radio adapter stand-in: 'ack' answers every talkgroup with a tx-ack after `delayMs`;
 * 'silent' never answers (the transmission ends only when aborted, as a timeout).
 */
export class FakeRadio implements RadioSender {
  mode: 'ack' | 'silent' = 'ack';
  delayMs = 5;
  readonly calls: { talkgroups: string[]; text: string; ref: string; priority?: string }[] = [];
  private readonly rollCalls = new Set<(a: RollCallAck) => void | Promise<void>>();

  broadcast(talkgroups: string[], text: string, ref: string, opts: TransmitOptions = {}): Promise<TalkgroupOutcome[]> {
    this.calls.push({ talkgroups, text, ref, ...(opts.priority ? { priority: opts.priority } : {}) });
    const outcome = (status: TalkgroupOutcome['status']) => talkgroups.map((talkgroup) => ({ talkgroup, status, latencyMs: this.delayMs, attempts: 1 }));
    return new Promise((resolve) => {
      if (this.mode === 'ack') {
        setTimeout(() => resolve(outcome('acked')), this.delayMs);
        return;
      }
      opts.signal?.addEventListener('abort', () => resolve(outcome('timeout')), { once: true });
    });
  }

  onRollCall(cb: (a: RollCallAck) => void | Promise<void>): () => void {
    this.rollCalls.add(cb);
    return () => void this.rollCalls.delete(cb);
  }

  /** A unit presses its roll-call key (点名应答). */
  ack(unit: string, ref: string, talkgroup?: string): void {
    for (const cb of this.rollCalls) void cb({ radioId: 'radio-gw-1', ref, unit, ...(talkgroup ? { talkgroup } : {}), at: Date.now() });
  }
}

export interface Harness {
  sim: SmsCentreSimulator;
  sms: SmsSmppAdapter;
  smsCtx: FakeContext;
  radio: FakeRadio;
  /** The SMS channel as bound, with a count of send() calls (one per rate-limited batch). */
  smsSends: string[][];
  svc: BroadcastService;
  alarms: AlarmService;
  store: SqliteStateStore;
  changes: BroadcastChange[];
  /** Resolves with the broadcast once `pred` holds, re-checked on every change. */
  until(id: () => string | undefined | Promise<string | undefined>, pred: (b: Broadcast) => boolean, timeoutMs?: number): Promise<Broadcast>;
  stop(): Promise<void>;
}

export async function startHarness(opts: { broadcast?: Record<string, unknown>; sim?: SmsCentreStartOptions; sms?: Partial<SmsSmppConfigInput> } = {}): Promise<Harness> {
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'gw-broadcast-'));
  const sim = new SmsCentreSimulator();
  const { port } = await sim.start({ host: '127.0.0.1', port: 0, systemId: 'gateway', password: 'secret', receiptDelayMs: 20, ...opts.sim });
  const smsCtx = fakeContext({ dataDir: dir });
  const sms = smsSmppAdapter.create(
    resolveSmsSmppConfig({
      deviceId: 'sms-channel',
      host: '127.0.0.1',
      port,
      systemId: 'gateway',
      password: 'secret',
      sourceAddr: '10690110',
      reconnectMinMs: 20,
      reconnectMaxMs: 200,
      retryBackoffMs: 20,
      throttleBackoffMs: 20,
      throttleBackoffMaxMs: 200,
      suspectReceiptMs: 0,
      ...opts.sms,
    }),
    smsCtx,
  );
  const bound = new Promise<void>((resolve) => {
    const off = sms.onLink((e) => {
      if (e.bound) {
        off();
        resolve();
      }
    });
  });
  await sms.start();
  await bound;

  const { sites, devices } = loadConfig({ env: {} });
  const store = new SqliteStateStore(dir);
  const bus = new EventBus(log);
  const alarms = new AlarmService(store, bus, systemClock);
  const svc = new BroadcastService({
    config: resolveBroadcastConfig(opts.broadcast ?? {}),
    repo: store.broadcasts,
    audit: store,
    alarms,
    registry: new Registry(sites, devices),
    bus,
    clock: systemClock,
    log,
  });
  const smsSends: string[][] = [];
  const smsChannel = smsBroadcastChannel(sms);
  const counted: BroadcastChannel = {
    ...smsChannel,
    send: (ref, targets, text, signal, meta) => {
      smsSends.push(targets.map((t) => t.address));
      return smsChannel.send(ref, targets, text, signal, meta);
    },
  };
  const radio = new FakeRadio();
  svc.bindChannel(counted);
  svc.bindChannel(radioBroadcastChannel(radio));
  await svc.start();
  const changes: BroadcastChange[] = [];
  const watchers = new Set<() => void>();
  svc.onChange((c) => {
    changes.push(c);
    for (const w of [...watchers]) w();
  });

  return {
    sim,
    sms,
    smsCtx,
    radio,
    smsSends,
    svc,
    alarms,
    store,
    changes,
    until(id, pred, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const current = async () => {
          const key = await id();
          return { key, b: key ? await svc.get(key) : undefined };
        };
        const check = () => {
          void current().then(({ b }) => {
            if (b && pred(b)) {
              cleanup();
              resolve(b);
            }
          });
        };
        const timer = setTimeout(() => {
          cleanup();
          void current().then(({ key, b }) => reject(new Error(`timed out after ${timeoutMs} ms; broadcast ${key}: ${JSON.stringify(b?.tally)}`)));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      });
    },
    async stop() {
      await svc.stop();
      await sms.stop();
      await sim.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The people the default district's panic policy reaches at sch-01. */
export const SCH01_PEOPLE = [
  '13805719001',
  '13805719002',
  '13805719003',
  '13805719004',
  '13805719005',
  '13805719006',
  '13805710101',
  '13805710102',
];
