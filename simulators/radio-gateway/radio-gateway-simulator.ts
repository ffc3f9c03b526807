/**
 * A simulated radio dispatch gateway (对讲调度网关): an MQTT 3.1.1 client of the gateway's broker
 * that authenticates as a device of kind 'radio' and speaks adapters/radio's payloads. It
 * heartbeats, announces each broadcast once per talkgroup (de-duplicating retries on the
 * message id), acks per talkgroup after a delay, answers pings, and on demand goes silent,
 * fails talkgroups, loses acks, loses its radio link, has units confirm a roll-call, or
 * places an emergency call from a school's handset.
 */
import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic } from '../../gateway/contract/topics.js';
import { decodeCommand, encodeEvent, encodeHeartbeat, type RadioEvent, type TxCommand } from '../../adapters/radio/codec.js';

export interface RadioGatewayStartOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883 */
  url: string;
  /** The radio gateway's device id (also its MQTT username and client id). */
  deviceId: string;
  siteId: string;
  password: string;
  /** Talkgroups this gateway carries; a tx on any other fails with `unknown-talkgroup`. Empty: all. */
  talkgroups?: string[];
  /** Heartbeat (telemetry) period; default 30 s. */
  heartbeatMs?: number;
  /** Reconnect period after a lost connection; default 1 s (0: never). */
  reconnectMs?: number;
}

export interface RadioGatewayMode {
  /** Hung box: connected, but no heartbeat, ack, pong or announcement. */
  silent: boolean;
  /** Delay between receiving a tx and acking each talkgroup. */
  ackDelayMs: number;
  /** Talkgroups whose transmissions fail (ack `failed`, reason `channel-busy`). */
  failTalkgroups: string[];
  /** The radio side reported in heartbeats; while down every tx fails with `radio-link-down`. */
  radioLink: 'up' | 'down';
  /** Announce, but lose the next n acks (the gateway then retries with the same id). */
  loseAcks: number;
  /** Units that confirm every roll-call broadcast by themselves. */
  rollCallUnits: string[];
}

/** What the simulator did, in order; `announce` happens once per (id, talkgroup). */
export type RadioSimRecord =
  | { kind: 'connected' | 'disconnected' | 'heartbeat'; at: number }
  | { kind: 'command'; at: number; op: 'tx' | 'ping'; id: string; attempt?: number; talkgroups?: string[] }
  | { kind: 'announce'; at: number; id: string; talkgroup: string; text: string; speech: string; priority: string; attempt: number }
  | { kind: 'duplicate'; at: number; id: string; talkgroup: string; attempt: number }
  | { kind: 'expired'; at: number; id: string; talkgroups: string[] }
  | { kind: 'ack'; at: number; id: string; talkgroup: string; status: 'ok' | 'failed'; reason?: string; dup: boolean; lost: boolean }
  | { kind: 'pong'; at: number; id: string }
  | { kind: 'rollcall-ack'; at: number; id: string; unit: string }
  | { kind: 'emergency-call' | 'emergency-cancel'; at: number; talkgroup: string; unit: string; callId: string }
  | { kind: 'bad-command'; at: number; detail: string };

/** A unique announcement: one per (broadcast id, talkgroup), however many times it was sent. */
export interface Transmission {
  id: string;
  talkgroup: string;
  text: string;
  speech: string;
  priority: string;
  at: number;
  /** tx commands that carried this (id, talkgroup), the first included. */
  received: number;
}

const DEFAULT_MODE: RadioGatewayMode = { silent: false, ackDelayMs: 20, failTalkgroups: [], radioLink: 'up', loseAcks: 0, rollCallUnits: [] };
const MAX_RECORDS = 10_000;

export class RadioGatewaySimulator {
  private client?: MqttClient;
  private opts?: RadioGatewayStartOptions;
  private heartbeatTimer?: ReturnType<typeof setInterval>;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private current: RadioGatewayMode = { ...DEFAULT_MODE };
  private readonly announced = new Map<string, Transmission>();
  private readonly records: RadioSimRecord[] = [];
  private readonly listeners = new Set<(r: RadioSimRecord) => void>();
  private seq = 0;
  private calls = 0;
  private startedAt = 0;

  get deviceId(): string {
    return this.opts?.deviceId ?? '';
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Connects and subscribes to its cmd topic; rejects when the broker refuses the credentials. */
  async start(opts: RadioGatewayStartOptions): Promise<void> {
    if (this.client) throw new Error('radio gateway simulator already started');
    this.opts = opts;
    this.startedAt = Date.now();
    const status = deviceTopic(opts.siteId, opts.deviceId, 'status');
    const client = await mqtt.connectAsync(opts.url, {
      clientId: opts.deviceId,
      username: opts.deviceId,
      password: opts.password,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: opts.reconnectMs ?? 1000,
      connectTimeout: 5000,
      // MQTT 3.1.1 §3.1.2.5: the broker says `offline` for us when the connection dies.
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    // Small acks must not wait for Nagle (see docs: ENVIRONMENT.md, up to 40 ms).
    if ('setNoDelay' in client.stream) (client.stream as Socket).setNoDelay(true);
    this.client = client;
    client.on('message', (topic, payload) => this.onCommand(topic, payload));
    client.on('connect', () => void this.onConnected());
    client.on('close', () => this.record({ kind: 'disconnected', at: Date.now() }));
    client.on('error', () => undefined); // reconnects; a refusal surfaces as no heartbeat
    await this.onConnected();
  }

  async stop(): Promise<void> {
    this.clearTimers();
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync(false);
  }

  /** Power loss: the connection is cut without DISCONNECT, so the broker publishes the will. */
  drop(): void {
    this.clearTimers();
    const c = this.client;
    this.client = undefined;
    c?.stream.destroy();
    c?.end(true);
  }

  /** Starts again with the options of the last start() (after drop() or stop()). */
  async restore(): Promise<void> {
    if (!this.opts) throw new Error('radio gateway simulator was never started');
    if (this.client) return;
    await this.start(this.opts);
  }

  setMode(patch: Partial<RadioGatewayMode>): void {
    const wasSilent = this.current.silent;
    this.current = { ...this.current, ...patch };
    // Coming back from silence or changing the link is reported at once, as a real box would.
    if ((wasSilent && !this.current.silent) || patch.radioLink !== undefined) void this.heartbeat().catch(() => undefined);
  }

  mode(): RadioGatewayMode {
    return { ...this.current, failTalkgroups: [...this.current.failTalkgroups], rollCallUnits: [...this.current.rollCallUnits] };
  }

  /** Unique announcements, in order. */
  transmissions(): Transmission[] {
    return [...this.announced.values()].map((t) => ({ ...t }));
  }

  history(): RadioSimRecord[] {
    return [...this.records];
  }

  onRecord(cb: (r: RadioSimRecord) => void): () => void {
    this.listeners.add(cb);
    return () => {
      this.listeners.delete(cb);
    };
  }

  /** Resolves with the first record (from index `from` of history()) that matches. */
  waitFor(pred: (r: RadioSimRecord) => boolean, opts: { timeoutMs?: number; from?: number } = {}): Promise<RadioSimRecord> {
    const found = this.records.slice(opts.from ?? 0).find(pred);
    if (found) return Promise.resolve(found);
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const off = this.onRecord((r) => {
        if (!pred(r)) return;
        off();
        clearTimeout(timer);
        resolve(r);
      });
      const timer = setTimeout(() => {
        off();
        reject(new Error(`radio gateway simulator: no matching record within ${timeoutMs} ms`));
      }, timeoutMs);
    });
  }

  /** A school's handset presses its emergency key on `talkgroup`; resolves on PUBACK. */
  async emergencyCall(talkgroup: string, unit: string, opts: { callId?: string; siteId?: string } = {}): Promise<string> {
    return this.call('emergency-call', talkgroup, unit, opts);
  }

  async emergencyCancel(talkgroup: string, unit: string, opts: { callId?: string } = {}): Promise<string> {
    return this.call('emergency-cancel', talkgroup, unit, opts);
  }

  /** Unit `unit` confirms broadcast `ref`; resolves on PUBACK. */
  async rollCall(ref: string, unit: string, talkgroup?: string): Promise<void> {
    await this.send({ type: 'rollcall-ack', id: ref, unit, ...(talkgroup ? { talkgroup } : {}), at: Date.now(), seq: ++this.seq });
    this.record({ kind: 'rollcall-ack', at: Date.now(), id: ref, unit });
  }

  /** Sends one heartbeat now (also what the timer does). */
  async heartbeat(): Promise<void> {
    const o = this.opts;
    if (!o || this.current.silent || !this.client?.connected) return;
    const body = encodeHeartbeat({
      at: Date.now(),
      seq: ++this.seq,
      radio: this.current.radioLink,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      announced: this.announced.size,
    });
    await this.client.publishAsync(deviceTopic(o.siteId, o.deviceId, 'telemetry'), body, { qos: 0 });
    this.record({ kind: 'heartbeat', at: Date.now() });
  }

  private async call(type: 'emergency-call' | 'emergency-cancel', talkgroup: string, unit: string, opts: { callId?: string; siteId?: string }): Promise<string> {
    const callId = opts.callId ?? `${this.deviceId}-call-${++this.calls}`;
    await this.send({ type, talkgroup, unit, callId, ...(opts.siteId ? { siteId: opts.siteId } : {}), at: Date.now(), seq: ++this.seq });
    this.record({ kind: type, at: Date.now(), talkgroup, unit, callId });
    return callId;
  }

  private async onConnected(): Promise<void> {
    const o = this.opts;
    const c = this.client;
    if (!o || !c) return;
    this.record({ kind: 'connected', at: Date.now() });
    await c.subscribeAsync(deviceTopic(o.siteId, o.deviceId, 'cmd'), { qos: 1 }).catch(() => undefined);
    // MQTT 3.1.1 §3.3.1.3: retained, so a gateway starting later still knows we are here.
    await c.publishAsync(deviceTopic(o.siteId, o.deviceId, 'status'), 'online', { qos: 1, retain: true }).catch(() => undefined);
    await this.heartbeat().catch(() => undefined);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => void this.heartbeat().catch(() => undefined), o.heartbeatMs ?? 30_000);
  }

  private onCommand(_topic: string, payload: Buffer): void {
    const decoded = decodeCommand(payload);
    const now = Date.now();
    if (!decoded.ok) {
      this.record({ kind: 'bad-command', at: now, detail: decoded.detail });
      return;
    }
    const cmd = decoded.value;
    this.record(cmd.op === 'tx' ? { kind: 'command', at: now, op: 'tx', id: cmd.id, attempt: cmd.attempt, talkgroups: [...cmd.talkgroups] } : { kind: 'command', at: now, op: 'ping', id: cmd.id });
    if (this.current.silent) return;
    if (cmd.op === 'ping') {
      void this.send({ type: 'pong', id: cmd.id, at: Date.now() }).then(
        () => this.record({ kind: 'pong', at: Date.now(), id: cmd.id }),
        () => undefined,
      );
      return;
    }
    this.onTx(cmd, now);
  }

  private onTx(cmd: TxCommand, now: number): void {
    if (now > cmd.validUntil) {
      // The gateway has given up on it: announcing now would be a stale incident.
      this.record({ kind: 'expired', at: now, id: cmd.id, talkgroups: [...cmd.talkgroups] });
      return;
    }
    const carried = this.opts?.talkgroups ?? [];
    for (const tg of cmd.talkgroups) {
      const key = `${cmd.id}\u0000${tg}`;
      const seen = this.announced.get(key);
      let status: 'ok' | 'failed' = 'ok';
      let reason: string | undefined;
      if (seen) {
        seen.received++;
        this.record({ kind: 'duplicate', at: now, id: cmd.id, talkgroup: tg, attempt: cmd.attempt });
      } else if (carried.length > 0 && !carried.includes(tg)) {
        [status, reason] = ['failed', 'unknown-talkgroup'];
      } else if (this.current.radioLink === 'down') {
        [status, reason] = ['failed', 'radio-link-down'];
      } else if (this.current.failTalkgroups.includes(tg)) {
        [status, reason] = ['failed', 'channel-busy'];
      } else {
        const t: Transmission = { id: cmd.id, talkgroup: tg, text: cmd.text, speech: cmd.speech, priority: cmd.priority, at: now, received: 1 };
        this.announced.set(key, t);
        this.record({ kind: 'announce', at: now, id: cmd.id, talkgroup: tg, text: cmd.text, speech: cmd.speech, priority: cmd.priority, attempt: cmd.attempt });
        if (cmd.rollCall) this.autoRollCall(cmd.id, tg);
      }
      this.later(() => this.ack(cmd.id, tg, status, reason, seen !== undefined), this.current.ackDelayMs);
    }
  }

  private ack(id: string, talkgroup: string, status: 'ok' | 'failed', reason: string | undefined, dup: boolean): void {
    if (this.current.silent) return;
    const lost = this.current.loseAcks > 0;
    if (lost) this.current.loseAcks--;
    this.record({ kind: 'ack', at: Date.now(), id, talkgroup, status, ...(reason ? { reason } : {}), dup, lost });
    if (lost) return;
    void this.send({ type: 'tx-ack', id, talkgroup, status, ...(reason ? { reason } : {}), ...(dup ? { dup } : {}), at: Date.now() }).catch(() => undefined);
  }

  private autoRollCall(ref: string, talkgroup: string): void {
    this.current.rollCallUnits.forEach((unit, i) => {
      this.later(() => void this.rollCall(ref, unit, talkgroup).catch(() => undefined), this.current.ackDelayMs * 2 + 5 * i);
    });
  }

  private async send(e: RadioEvent): Promise<void> {
    const o = this.opts;
    if (!o || !this.client?.connected) throw new Error(`${this.deviceId || 'radio gateway simulator'} is not connected`);
    await this.client.publishAsync(deviceTopic(o.siteId, o.deviceId, 'event'), encodeEvent(e), { qos: 1 });
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private clearTimers(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private record(r: RadioSimRecord): void {
    this.records.push(r);
    if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
    for (const cb of [...this.listeners]) cb(r);
  }
}
