/**
 * A lean telemetry load: raw `node:net` sockets speaking MQTT 3.1.1 through mqtt-packet (the
 * encoder and parser aedes and mqtt.js use), so that one load process costs far less CPU per
 * message than the broker it measures (the full mqtt.js client, one timer per device, cost
 * more than bare aedes itself: bare aedes was never saturated).
 *
 * Each connection is a synthetic device (lib/synthetic-district.ts): CONNECT as client-worker
 * does (username = id, password = secret, retained `offline` will on its status topic), then
 * QoS 1 telemetry with client-worker's body plus an incrementing `seq`. Pacing: every TICK_MS
 * the rate's share of messages is handed round-robin to the connections; a connection writes
 * once `batch` messages are due to it, all in one socket write (one write per message cost the
 * client as much CPU as bare aedes spent on them). A connection has at most `window` publishes
 * unacknowledged; a message due while its window is full is not sent and is counted
 * (`windowFull`), so a saturated broker shows as acknowledged < offered, never as a queue
 * growing in the client. A tick later than LATE_MS drops the budget it could not send in time
 * (`late`): the client, not the broker, was then the limit.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { generate, parser as mqttParser, type Packet } from 'mqtt-packet';
import { buttonTelemetry, syntheticDevice } from './synthetic-district.js';
import { MAX_LATENCY_SAMPLES, type WorkerStats } from './worker-protocol.js';
import { connectBounded } from './connect-pump.js';

export const TICK_MS = 10;
/** Schedule debt beyond this (a starved client process) is dropped and counted, not burst out. */
const LATE_MS = 200;
const DISCONNECT = generate({ cmd: 'disconnect' });

export interface LeanOptions {
  /** `mqtt://host:port`. */
  url: string;
  /** Device indexes [from, to) of the synthetic district. */
  from: number;
  to: number;
  perSite: number;
  /** Messages per second offered by this load in all (spread evenly over its connections). */
  ratePerSecond: number;
  /** Unacknowledged publishes per connection at most. */
  window: number;
  /** Messages due to a connection before it writes them (in one write); 1: as soon as due. */
  batch: number;
  /** Connections waiting for CONNACK at once. */
  inflight: number;
  connectTimeoutMs: number;
  keepaliveSeconds: number;
}

export interface LeanStats extends WorkerStats {
  telemetrySent: number;
  windowFull: number;
  late: number;
}

interface Conn {
  n: number;
  socket: Socket;
  /** Topic and body up to the seq, built once. */
  topic: string;
  bodyHead: string;
  seq: number;
  nextId: number;
  /** messageId → send time (performance.now()). */
  unacked: Map<number, number>;
  /** Messages due this tick. */
  due: number;
  up: boolean;
  onIdle?: () => void;
}

export class LeanLoad {
  readonly stats: LeanStats = { connected: 0, failed: 0, dropped: 0, telemetryAcked: 0, telemetryFailed: 0, devicesWithRound: 0, telemetryUnanswered: 0, telemetrySent: 0, windowFull: 0, late: 0 };
  private pubackMs: number[] = [];
  private conns: Conn[] = [];
  private timer?: ReturnType<typeof setInterval>;
  private closing = false;
  private cursor = 0;
  private budget = 0;
  private lastTick = 0;

  constructor(private readonly o: LeanOptions) {}

  /** Connects every device (at most `inflight` waiting for CONNACK); resolves with CONNACK latencies and the first errors. */
  async connect(): Promise<{ connectMs: number[]; errors: string[] }> {
    const { connectMs, errors } = await connectBounded(this.o.from, this.o.to, this.o.inflight, (n, done) => this.connectOne(n, done), () => this.stats.failed++);
    // Random phase: the round-robin starts anywhere, so several loads do not move in lockstep.
    this.cursor = Math.floor(Math.random() * Math.max(1, this.conns.length));
    return { connectMs, errors };
  }

  /** Starts offering `ratePerSecond` over the connected devices. */
  start(): void {
    if (this.timer || this.conns.length === 0) return;
    this.lastTick = performance.now();
    this.budget = 0;
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** PUBACK latencies (ms) since the last call. */
  takeLatencies(): number[] {
    const out = this.pubackMs;
    this.pubackMs = [];
    return out;
  }

  /**
   * Stops offering, waits up to `drainMs` for every unacknowledged publish, then sends
   * DISCONNECT (the broker discards the will) and closes. Publishes still unanswered then are
   * counted as `telemetryUnanswered`.
   */
  async close(drainMs: number): Promise<void> {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const conns = this.conns;
    this.conns = [];
    await Promise.all(
      conns.map(
        (c) =>
          new Promise<void>((resolve) => {
            let done = false;
            const finish = () => {
              if (done) return;
              done = true;
              clearTimeout(t);
              c.onIdle = undefined;
              this.stats.telemetryUnanswered = (this.stats.telemetryUnanswered ?? 0) + c.unacked.size;
              c.unacked.clear();
              if (c.up) {
                c.socket.end(DISCONNECT);
                c.socket.once('close', () => resolve());
                // A broker that never closes its side: bounded.
                setTimeout(() => (c.socket.destroy(), resolve()), 5000).unref();
              } else resolve();
            };
            const t = setTimeout(finish, drainMs);
            if (c.unacked.size === 0 || !c.up) finish();
            else c.onIdle = finish;
          }),
      ),
    );
  }

  private connectOne(n: number, done: (err: string | undefined, ms: number) => void): void {
    const device = syntheticDevice(n, this.o.perSite);
    const { hostname, port } = new URL(this.o.url);
    const t0 = performance.now();
    // [DESIGN: Nagle] small QoS 1 packets would otherwise wait for delayed ACKs.
    const socket = tcpConnect({ host: hostname, port: Number(port || 1883), noDelay: true });
    const body = JSON.stringify(buttonTelemetry(n));
    const c: Conn = { n, socket, topic: device.telemetryTopic, bodyHead: `${body.slice(0, -1)},"seq":`, seq: 0, nextId: 1, unacked: new Map(), due: 0, up: false };
    let settled = false;
    const settle = (err?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      if (err) socket.destroy();
      done(err, performance.now() - t0);
    };
    const timeout = setTimeout(() => settle('CONNACK timeout'), this.o.connectTimeoutMs);
    const parser = mqttParser({ protocolVersion: 4 });
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'puback') {
        const id = p.messageId ?? 0;
        const at = c.unacked.get(id);
        if (at === undefined) return;
        c.unacked.delete(id);
        this.stats.telemetryAcked++;
        if (this.pubackMs.length < MAX_LATENCY_SAMPLES) this.pubackMs.push(performance.now() - at);
        if (c.unacked.size === 0) c.onIdle?.();
      } else if (p.cmd === 'connack') {
        if (p.returnCode !== 0) return settle(`CONNACK ${p.returnCode}`);
        c.up = true;
        this.stats.connected++;
        this.conns.push(c);
        settle();
      }
    });
    parser.on('error', (err) => socket.destroy(err));
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', (err) => settle(err.message));
    socket.once('connect', () => {
      socket.write(
        generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: device.id,
          keepalive: this.o.keepaliveSeconds,
          username: device.id,
          password: Buffer.from(device.secret),
          will: { topic: device.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
        }),
      );
    });
    socket.once('close', () => {
      if (!settled) return settle('closed before CONNACK');
      if (!c.up) return;
      c.up = false;
      this.stats.connected--;
      if (!this.closing) {
        this.stats.dropped++;
        this.stats.telemetryFailed += c.unacked.size;
        c.unacked.clear();
        const i = this.conns.indexOf(c);
        if (i >= 0) this.conns.splice(i, 1);
      }
      c.onIdle?.();
    });
  }

  private tick(): void {
    const now = performance.now();
    const elapsed = now - this.lastTick;
    this.lastTick = now;
    const lateMs = Math.max(0, elapsed - LATE_MS);
    if (lateMs > 0) this.stats.late += Math.floor((this.o.ratePerSecond * lateMs) / 1000);
    this.budget += (this.o.ratePerSecond * Math.min(elapsed, LATE_MS)) / 1000;
    const count = Math.floor(this.budget);
    this.budget -= count;
    const conns = this.conns;
    if (count === 0 || conns.length === 0) return;
    // Round-robin: each connection its share; it writes once `batch` are due, in one write.
    const batch = this.o.batch;
    // A dropped connection leaves the list: the cursor may point past its end.
    if (this.cursor >= conns.length) this.cursor = 0;
    for (let i = 0; i < count; i++) {
      const c = conns[this.cursor] as Conn;
      this.cursor = this.cursor + 1 === conns.length ? 0 : this.cursor + 1;
      if (++c.due >= batch) this.send(c, now);
    }
  }

  private send(c: Conn, now: number): void {
    const due = c.due;
    c.due = 0;
    const room = Math.max(0, this.o.window - c.unacked.size);
    const n = Math.min(due, room);
    this.stats.windowFull += due - n;
    if (n === 0) return;
    const packets: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      let id = c.nextId;
      while (c.unacked.has(id)) id = id === 65535 ? 1 : id + 1;
      c.nextId = id === 65535 ? 1 : id + 1;
      c.unacked.set(id, now);
      packets.push(generate({ cmd: 'publish', topic: c.topic, payload: `${c.bodyHead}${++c.seq}}`, qos: 1, messageId: id, retain: false, dup: false }));
    }
    this.stats.telemetrySent += n;
    c.socket.write(n === 1 ? (packets[0] as Buffer) : Buffer.concat(packets));
  }
}
