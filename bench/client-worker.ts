/**
 * A client worker: one process holding a slice of the simulated devices (a process cannot
 * hold more sockets than its open-files limit). Driven over IPC by a benchmark
 * (bench/lib/worker-protocol.ts). Each device behaves as simulators/mqtt-device.ts does:
 * connects as itself, publishes a retained `online` status with an `offline` will, subscribes
 * to its cmd topic, sends telemetry at once and then every heartbeat period (±10% jitter so
 * devices do not heartbeat in lockstep). Exits when its parent goes away.
 */
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { buttonTelemetry, syntheticDevice, type SyntheticDevice } from './lib/synthetic-district.js';
import { MAX_LATENCY_SAMPLES, type ConnectCommand, type WorkerCommand, type WorkerMessage, type WorkerStats } from './lib/worker-protocol.js';
import { connectBounded } from './lib/connect-pump.js';

interface SimDevice {
  device: SyntheticDevice;
  n: number;
  client: MqttClient;
  timer?: ReturnType<typeof setInterval>;
  seq: number;
  acked: number;
  /** Publishes answered (PUBACK or error). */
  answered: number;
}

class ClientWorker {
  private devices: SimDevice[] = [];
  private stats: WorkerStats = blankStats();
  private pubackMs: number[] = [];
  private closing = false;
  private roundAcks = 2;

  constructor(private readonly send: (m: WorkerMessage) => void) {}

  async onCommand(c: WorkerCommand): Promise<void> {
    if (c.cmd === 'connect') await this.connectAll(c);
    else if (c.cmd === 'stats') {
      const pubackMs = c.latencies ? this.pubackMs : undefined;
      if (c.latencies) this.pubackMs = [];
      this.send({ type: 'stats', stats: { ...this.stats }, ...(pubackMs ? { pubackMs } : {}) });
    } else if (c.cmd === 'disconnect') {
      await this.disconnectAll(c.drainMs ?? 10_000);
      this.send({ type: 'disconnected' });
    }
  }

  private async connectAll(c: ConnectCommand): Promise<void> {
    this.closing = false;
    this.roundAcks = (c.rounds ?? 1) + 1;
    this.stats = blankStats();
    this.pubackMs = [];
    const progress = setInterval(() => this.send({ type: 'progress', stats: { ...this.stats } }), 1000);
    const { connectMs, errors } = await connectBounded(c.from, c.to, c.inflight, (n, done) => this.connectOne(c, n, done), () => this.stats.failed++);
    clearInterval(progress);
    this.send({ type: 'connect-done', stats: { ...this.stats }, connectMs, errors });
  }

  private connectOne(c: ConnectCommand, n: number, done: (err: string | undefined, ms: number) => void): void {
    const device = syntheticDevice(n, c.perSite);
    const t0 = performance.now();
    const client = mqtt.connect(c.url, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      protocolVersion: 4,
      clean: true,
      keepalive: c.keepaliveSeconds,
      reconnectPeriod: 0,
      connectTimeout: c.connectTimeoutMs,
      will: { topic: device.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    const sim: SimDevice = { device, n, client, seq: 0, acked: 0, answered: 0 };
    let settled = false;
    const settle = (err?: string) => {
      if (settled) return;
      settled = true;
      done(err, performance.now() - t0);
    };
    client.on('error', (err) => settle(err.message));
    client.once('connect', () => {
      settle();
      this.stats.connected++;
      this.devices.push(sim);
      // [DESIGN: Nagle] small QoS 1 packets would otherwise wait for delayed ACKs.
      (client.stream as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
      if (c.retainStatus) client.publish(device.statusTopic, 'online', { qos: 1, retain: true }, () => undefined);
      if (c.subscribe) client.subscribe(device.cmdTopic, { qos: 1 }, () => undefined);
      this.heartbeat(sim);
      sim.timer = setInterval(() => this.heartbeat(sim), c.heartbeatMs * (0.9 + Math.random() * 0.2));
    });
    client.once('close', () => {
      if (!settled) return settle('closed before CONNACK');
      if (sim.timer) clearInterval(sim.timer);
      sim.timer = undefined;
      this.stats.connected--;
      if (!this.closing) this.stats.dropped++;
    });
  }

  private heartbeat(sim: SimDevice): void {
    if (!sim.client.connected) return;
    const t0 = performance.now();
    const body = JSON.stringify({ ...buttonTelemetry(sim.n), seq: ++sim.seq });
    sim.client.publish(sim.device.telemetryTopic, body, { qos: 1 }, (err) => {
      sim.answered++;
      if (err) {
        this.stats.telemetryFailed++;
        return;
      }
      this.stats.telemetryAcked++;
      sim.acked++;
      if (sim.acked === this.roundAcks) this.stats.devicesWithRound++;
      if (sim.acked >= 2 && this.pubackMs.length < MAX_LATENCY_SAMPLES) this.pubackMs.push(performance.now() - t0);
    });
  }

  private async disconnectAll(drainMs: number): Promise<void> {
    this.closing = true;
    const devices = this.devices;
    this.devices = [];
    for (const d of devices) if (d.timer) clearInterval(d.timer);
    // DISCONNECT once every publish is answered (mqtt.js end(false) waits for them), so the
    // broker discards the will [MQTT-3.14.4-3]; forced after drainMs, and what was still
    // unanswered then is counted (the gateway may have stored it: stored = acked + unanswered).
    await Promise.all(
      devices.map(
        (d) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              this.stats.telemetryUnanswered = (this.stats.telemetryUnanswered ?? 0) + (d.seq - d.answered);
              d.client.end(true);
              resolve();
            }, drainMs);
            d.client.end(false, {}, () => {
              clearTimeout(t);
              resolve();
            });
          }),
      ),
    );
  }
}

function blankStats(): WorkerStats {
  return { connected: 0, failed: 0, dropped: 0, telemetryAcked: 0, telemetryFailed: 0, devicesWithRound: 0 };
}

function main(): void {
  const send = (m: WorkerMessage) => process.send?.(m);
  if (!process.send) {
    process.stderr.write('client-worker: run by a benchmark (needs an IPC channel)\n');
    process.exit(2);
  }
  const worker = new ClientWorker(send);
  process.on('message', (m: WorkerCommand) => {
    worker.onCommand(m).catch((err: unknown) => {
      process.stderr.write(`client-worker: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    });
  });
  // The benchmark is gone (finished, killed, Ctrl-C): nothing of ours may stay behind.
  process.on('disconnect', () => process.exit(0));
}

main();
