/**
 * The lean load client (bench/lib/lean-load.ts) against a real aedes broker on loopback: every
 * device connects as itself, every publish is QoS 1 telemetry with the button body and an
 * incrementing seq, every one is acknowledged and counted, the clean close discards the will;
 * and a broker that answers nothing fills each connection's window, which is counted, not queued.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { LeanLoad } from '../../../bench/lib/lean-load.js';
import { buttonTelemetry, syntheticDevice } from '../../../bench/lib/synthetic-district.js';
import { eventually } from '../../helpers/gateway.js';

const PER_SITE = 20;

interface Broker {
  port: number;
  published: { topic: string; payload: string; clientId: string }[];
  refused: string[];
  /** Publishes held unanswered while `hold` is set. */
  held: (() => void)[];
  hold: boolean;
  close(): Promise<void>;
}

async function startAedes(): Promise<Broker> {
  const b: Omit<Broker, 'port' | 'close'> = { published: [], refused: [], held: [], hold: false };
  const aedes = await Aedes.createBroker({
    // The CONNECT fields client-worker sends: username = device id, password = its secret.
    authenticate: (client, username, password, cb) => {
      const ok = username === client.id && password?.toString() === syntheticDevice(deviceIndex(client.id), PER_SITE).secret;
      if (!ok) b.refused.push(client.id);
      cb(ok ? null : (Object.assign(new Error('bad credentials'), { returnCode: 4 }) as AuthenticateError), ok);
    },
    authorizePublish: (_client, _packet, cb) => {
      if (b.hold) b.held.push(() => cb(null));
      else cb(null);
    },
  });
  aedes.on('publish', (packet, client) => {
    if (client) b.published.push({ topic: packet.topic, payload: packet.payload.toString(), clientId: client.id });
  });
  const server: Server = createServer({ noDelay: true }, (socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return Object.assign(b, {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

function deviceIndex(id: string): number {
  const m = /^bench-s(\d+)-btn-(\d+)$/.exec(id);
  return m ? Number(m[1]) * PER_SITE + Number(m[2]) : -1;
}

const brokers: Broker[] = [];
const loads: LeanLoad[] = [];
afterEach(async () => {
  for (const l of loads.splice(0)) await l.close(0);
  for (const b of brokers.splice(0)) await b.close();
});

describe('lean load client', () => {
  it('connects each device as itself, and every QoS 1 publish is acknowledged, counted and in seq order', async () => {
    const broker = await startAedes();
    brokers.push(broker);
    const load = new LeanLoad({ url: `mqtt://127.0.0.1:${broker.port}`, from: 40, to: 43, perSite: PER_SITE, ratePerSecond: 150, window: 4, batch: 2, inflight: 2, connectTimeoutMs: 20_000, keepaliveSeconds: 60 });
    loads.push(load);
    const { connectMs, errors } = await load.connect();
    expect(errors).toEqual([]);
    expect(connectMs).toHaveLength(3);
    expect(load.stats.connected).toBe(3);
    load.start();
    await eventually(() => load.stats.telemetrySent >= 90, { timeoutMs: 30_000 });
    await load.close(20_000);

    const s = load.stats;
    expect(broker.refused).toEqual([]);
    expect(s.telemetryUnanswered).toBe(0);
    expect(s.telemetryFailed).toBe(0);
    expect(s.dropped).toBe(0);
    expect(s.telemetryAcked).toBe(s.telemetrySent);
    expect(load.takeLatencies()).toHaveLength(s.telemetrySent);
    // What the broker received: every publish, each device's body with seq 1, 2, 3…
    const telemetry = broker.published.filter((p) => p.topic.endsWith('/telemetry'));
    expect(telemetry).toHaveLength(s.telemetrySent);
    for (const n of [40, 41, 42]) {
      const d = syntheticDevice(n, PER_SITE);
      const mine = telemetry.filter((p) => p.clientId === d.id);
      expect(mine.length).toBeGreaterThan(0);
      mine.forEach((p, i) => {
        expect(p.topic).toBe(d.telemetryTopic);
        expect(JSON.parse(p.payload)).toEqual({ ...buttonTelemetry(n), seq: i + 1 });
      });
    }
    // DISCONNECT after the drain: no will (`offline`) was published.
    expect(broker.published.filter((p) => p.topic.endsWith('/status'))).toEqual([]);
  });

  it('a broker that answers nothing fills each window: what is due then is counted, not queued', async () => {
    const broker = await startAedes();
    brokers.push(broker);
    broker.hold = true;
    const load = new LeanLoad({ url: `mqtt://127.0.0.1:${broker.port}`, from: 0, to: 2, perSite: PER_SITE, ratePerSecond: 200, window: 5, batch: 1, inflight: 2, connectTimeoutMs: 20_000, keepaliveSeconds: 60 });
    loads.push(load);
    await load.connect();
    load.start();
    await eventually(() => (load.stats.windowFull ?? 0) >= 20, { timeoutMs: 30_000 });
    expect(load.stats.telemetrySent).toBe(10);
    expect(load.stats.telemetryAcked).toBe(0);
    // Answered at last: the window opens again and the load goes on.
    broker.hold = false;
    for (const release of broker.held.splice(0)) release();
    await eventually(() => load.stats.telemetryAcked > 10, { timeoutMs: 30_000 });
    await load.close(20_000);
    expect(load.stats.telemetryUnanswered).toBe(0);
    expect(load.stats.telemetryAcked).toBe(load.stats.telemetrySent);
  });
});
