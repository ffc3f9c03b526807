/**
 * The radio adapter: talks to radio dispatch gateways (对讲调度网关) that connect to the
 * embedded broker as devices of kind 'radio'. Broadcasts go out on each gateway's cmd topic;
 * acks, pongs, roll-call answers, emergency calls and heartbeats come back on its event,
 * telemetry and status topics. All inside the v1 device topic contract: no extra ACL rule.
 */
import { randomUUID } from 'node:crypto';
import type { Device } from '../../gateway/contract/types.js';
import { deviceTopic, parseDeviceTopic, TOPIC_ROOT, type DeviceLeaf } from '../../gateway/contract/topics.js';
import type { AdapterContext, CheckResult } from '../../gateway/contract/adapter.js';
import type { BroadcastChannel, DeliveryResult, Outbound } from '../../gateway/contract/capabilities.js';
import { radioBroadcastChannel } from './broadcast-channel.js';
import type { RadioAdapter, RollCallAck, TransmitOptions, TxAckEvent } from './adapter-api.js';
import { BoundedMap } from './bounded-map.js';
import { decodeEvent, decodeHeartbeat, decodeStatus, encodeCommand, heartbeatData, type EmergencyCall, type EmergencyCancel, type RadioCommand, type RadioEvent } from './codec.js';
import type { RadioConfig } from './config.js';
import { RADIO_ERRORS } from './errors.js';
import { RollCallStore } from './rollcall-store.js';
import { Listeners, type Listener } from '../shared/listeners.js';
import { spokenForm } from './spoken.js';
import { LinkSupervisor } from './supervisor.js';
import { TalkgroupDirectory } from './talkgroups.js';
import { Transmitter, type TalkgroupOutcome } from './transmitter.js';

export const RADIO_ADAPTER_TYPE = 'radio';
/** TxCommandSchema.text maxLength: longer text is cut rather than refused during an incident. */
const MAX_TEXT = 2000;
const LEAVES: readonly DeviceLeaf[] = ['event', 'telemetry', 'status'];

interface Running {
  radios: Map<string, Device>;
  directory: TalkgroupDirectory;
  transmitter: Transmitter;
  supervisor: LinkSupervisor;
  unsubscribe: (() => Promise<void>)[];
  pings: Map<string, { radioId: string; resolve: (at: number | undefined) => void }>;
}

/** Units answering one broadcast's roll-call (a district's radios, with a wide margin). */
const MAX_ROLLCALL_UNITS = 5000;

export class RadioAdapterImpl implements RadioAdapter {
  private broadcastChannel: BroadcastChannel | undefined;
  private run?: Running;
  private readonly rollCalls: BoundedMap<string, Map<string, RollCallAck>>;
  /** Which radio gateways each broadcast ref was sent through: only those may answer its roll-call. */
  private readonly sent: BoundedMap<string, Set<string>>;
  private readonly results: BoundedMap<string, TalkgroupOutcome[]>;
  private readonly calls: BoundedMap<string, true>;
  private readonly rollCallListeners: Listeners<RollCallAck>;
  private readonly txAckListeners: Listeners<TxAckEvent>;
  /** Pending roll-calls on disk (rollcall-store.ts); undefined when the data dir cannot be opened. */
  private store: RollCallStore | undefined;

  constructor(
    private readonly cfg: RadioConfig,
    private readonly ctx: AdapterContext,
  ) {
    this.rollCalls = new BoundedMap(cfg.retainRefs);
    this.sent = new BoundedMap(cfg.retainRefs);
    this.results = new BoundedMap(cfg.retainRefs);
    this.calls = new BoundedMap(cfg.retainRefs);
    this.rollCallListeners = new Listeners('radio.onRollCall', ctx.log, ctx.clock);
    this.txAckListeners = new Listeners('radio.onTxAck', ctx.log, ctx.clock);
    this.openStore(true);
  }

  /** Roll-calls sent before a restart can still be answered, and their answers are kept. */
  private openStore(load: boolean): void {
    const log = this.ctx.log.child({ adapter: 'radio' });
    try {
      this.store = new RollCallStore(this.ctx.dataDir, this.cfg.retainRefs, (err, failures) => {
        if ((failures & (failures - 1)) === 0) log.error({ err, failures }, 'roll-call store write failed: answers after a restart may be refused');
      });
      if (!load) return;
      const stored = this.store.load();
      for (const [ref, radios] of stored.sent) this.sent.set(ref, new Set(radios));
      for (const [ref, acks] of stored.acks) this.rollCalls.set(ref, new Map(acks.map((a) => [a.unit, a])));
    } catch (err) {
      log.error({ err }, 'roll-call store unavailable: roll-calls sent before a restart will not be matched');
      this.store?.close();
      this.store = undefined;
    }
  }

  get radioIds(): readonly string[] {
    return [...(this.run?.radios.keys() ?? [])];
  }

  async start(): Promise<void> {
    if (this.run) return;
    if (this.store && !this.store.open) this.openStore(false); // started again after stop()
    const { ctx, cfg } = this;
    const radios = new Map<string, Device>();
    for (const d of ctx.devices.list({ adapter: RADIO_ADAPTER_TYPE })) {
      if (d.kind === 'radio') radios.set(d.id, d);
      else ctx.log.warn({ deviceId: d.id, kind: d.kind }, 'device of this adapter is not of kind radio: ignored');
    }
    const run: Running = {
      radios,
      directory: new TalkgroupDirectory(cfg.talkgroups, ctx.devices.sites(), [...radios.values()]),
      transmitter: new Transmitter({
        clock: ctx.clock,
        log: ctx.log,
        ackTimeoutMs: cfg.ackTimeoutMs,
        retries: cfg.retries,
        publish: (radioId, cmd) => this.publish(radioId, cmd),
      }),
      supervisor: new LinkSupervisor(
        { clock: ctx.clock, intervalMs: cfg.heartbeatIntervalMs, missed: cfg.missedHeartbeats, setCondition: (...a) => ctx.setCondition(...a) },
        [...radios.keys()],
      ),
      unsubscribe: [],
      pings: new Map(),
    };
    this.run = run;
    try {
      for (const leaf of LEAVES) run.unsubscribe.push(await ctx.bus.subscribe(`${TOPIC_ROOT}/+/+/${leaf}`, (t, p) => this.onMessage(run, t, p)));
    } catch (err) {
      await this.stop();
      throw err;
    }
    run.supervisor.start();
    ctx.log.info({ radios: [...radios.keys()] }, 'radio adapter started');
  }

  async stop(): Promise<void> {
    const run = this.run;
    this.run = undefined;
    if (!run) return;
    run.supervisor.stop();
    run.transmitter.stop();
    for (const p of run.pings.values()) p.resolve(undefined);
    run.pings.clear();
    await Promise.all(run.unsubscribe.map((u) => u()));
    this.store?.close();
  }

  onRollCall(cb: Listener<RollCallAck>): () => void {
    return this.rollCallListeners.add(cb);
  }

  onTxAck(cb: Listener<TxAckEvent>): () => void {
    return this.txAckListeners.add(cb);
  }

  rollCall(ref: string): RollCallAck[] {
    return [...(this.rollCalls.get(ref)?.values() ?? [])];
  }

  outcomes(ref: string): TalkgroupOutcome[] | undefined {
    return this.results.get(ref);
  }

  siteOfTalkgroup(talkgroup: string): string | undefined {
    return this.run?.directory.siteOf(talkgroup);
  }

  isReachable(radioId: string): boolean {
    return this.run?.supervisor.isReachable(radioId) ?? false;
  }

  async transmit(radioId: string, talkgroups: string[], text: string, ref: string, signal?: AbortSignal, opts: Omit<TransmitOptions, 'signal'> = {}): Promise<TalkgroupOutcome[]> {
    const run = this.requireRun();
    if (!run.radios.has(radioId)) throw RADIO_ERRORS.error('GW_ERR_RADIO_UNKNOWN_GATEWAY', `'${radioId}' is not a radio gateway of this adapter`);
    if (talkgroups.length === 0) throw RADIO_ERRORS.error('GW_ERR_RADIO_NO_TALKGROUPS', `${ref}: no talkgroups to transmit on`);
    const trimmed = text.trim();
    if (!trimmed) throw RADIO_ERRORS.error('GW_ERR_RADIO_EMPTY_TEXT', `${ref}: nothing to transmit`);
    const chars = Array.from(trimmed);
    if (chars.length > MAX_TEXT) this.ctx.log.warn({ ref, chars: chars.length }, `broadcast text cut to ${MAX_TEXT} characters`);
    // Cut on code points, then make sure the UTF-16 length (what the schema counts) fits too.
    let body = chars.slice(0, MAX_TEXT).join('');
    while (body.length > MAX_TEXT) body = Array.from(body).slice(0, -1).join('');
    this.sent.set(ref, new Set([...(this.sent.get(ref) ?? []), radioId]));
    this.store?.sent(ref, radioId);
    return run.transmitter.run(
      {
        radioId,
        id: ref,
        talkgroups: [...new Set(talkgroups)],
        text: body,
        speech: opts.speech ?? spokenForm(body, this.cfg.spokenMaxChars),
        priority: opts.priority ?? 'normal',
        rollCall: opts.rollCall ?? this.cfg.rollCall,
      },
      signal,
    );
  }

  async broadcast(talkgroups: string[], text: string, ref: string, opts: TransmitOptions = {}): Promise<TalkgroupOutcome[]> {
    const run = this.requireRun();
    const { signal, ...rest } = opts;
    const route = run.directory.route(talkgroups);
    const parts = await Promise.all([...route.byRadio].map(([radioId, tgs]) => this.transmit(radioId, tgs, text, ref, signal, rest)));
    const byTg = new Map<string, TalkgroupOutcome>();
    for (const o of parts.flat()) byTg.set(o.talkgroup, o);
    for (const u of route.unroutable) byTg.set(u.talkgroup, { talkgroup: u.talkgroup, status: 'failed', latencyMs: 0, attempts: 0, detail: u.detail });
    const outcomes = [...new Set(talkgroups)].map((tg) => byTg.get(tg) as TalkgroupOutcome);
    this.results.set(ref, outcomes);
    return outcomes;
  }

  /** The broadcast service's 'radio' channel (one per adapter: it keeps the channel's listeners). */
  channel(): BroadcastChannel {
    this.broadcastChannel ??= radioBroadcastChannel(this);
    return this.broadcastChannel;
  }

  async deliver(msg: Outbound, signal: AbortSignal): Promise<DeliveryResult> {
    const run = this.run;
    if (!run) return { ok: false, reference: msg.id, detail: 'radio adapter not started' };
    const started = this.ctx.clock.now();
    const drill = msg.kind === 'test-report' || msg.alarm?.drill === true;
    const summary = msg.alarm?.summary;
    const base = msg.text ?? (summary === undefined ? undefined : summary.includes(msg.site.name) ? summary : `${msg.site.name}：${summary}`);
    if (!base?.trim()) return { ok: false, reference: msg.id, detail: `${msg.id}: nothing to send (no text, no alarm)` };
    // A drill must say so on air, or patrols answer it as a real incident.
    const text = drill && !base.includes('演练') ? `【演练】${base}` : base;
    const to = msg.to && msg.to.length > 0 ? msg.to : [...run.directory.ofSite(msg.site.id), ...this.cfg.broadcastTalkgroups];
    if (to.length === 0) return { ok: false, reference: msg.id, detail: `${msg.id}: no talkgroups (none given, none for site ${msg.site.id}, no broadcastTalkgroups)` };
    const priority = !drill && (msg.kind === 'alarm-report' || msg.alarm?.severity === 'critical') ? 'emergency' : 'normal';
    let outcomes: TalkgroupOutcome[];
    try {
      outcomes = await this.broadcast(to, text, msg.id, { signal, priority });
    } catch (err) {
      return { ok: false, reference: msg.id, detail: err instanceof Error ? err.message : String(err) };
    }
    const acked = outcomes.filter((o) => o.status === 'acked');
    const bad = outcomes.filter((o) => o.status !== 'acked');
    const parts = [`acked ${acked.length}/${outcomes.length}`, ...bad.map((o) => `${o.talkgroup} ${o.status}${o.detail ? ` (${o.detail})` : ''}`)];
    return { ok: bad.length === 0, reference: msg.id, latencyMs: this.ctx.clock.now() - started, detail: parts.join('; ') };
  }

  async check(device: Device, signal: AbortSignal): Promise<CheckResult> {
    const run = this.run;
    if (!run || !run.radios.has(device.id)) {
      return { status: 'unknown', reasons: [{ code: 'check-error', detail: run ? `${device.id} is not a radio gateway of this adapter` : 'adapter not started' }], evidence: {} };
    }
    const { clock } = this.ctx;
    const id = `ping-${randomUUID()}`;
    const sent = clock.now();
    const pong = new Promise<number | undefined>((resolve) => {
      const timer = clock.setTimeout(() => finish(undefined), this.cfg.pingTimeoutMs);
      const finish = (at: number | undefined) => {
        clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        run.pings.delete(id);
        resolve(at);
      };
      const onAbort = () => finish(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      run.pings.set(id, { radioId: device.id, resolve: finish });
    });
    if (!signal.aborted) {
      await this.publish(device.id, { op: 'ping', id, at: sent }).catch((err: unknown) => this.ctx.log.warn({ err, radioId: device.id }, 'ping publish failed'));
    } else run.pings.get(id)?.resolve(undefined);
    const at = await pong;
    const lastSeen = run.supervisor.lastSeen(device.id);
    const evidence: CheckResult['evidence'] = {
      pendingTx: run.transmitter.pending,
      radioLink: run.supervisor.isChannelUp(device.id) ? 'up' : 'down',
      ...(lastSeen !== undefined ? { lastSeenAgoMs: clock.now() - lastSeen } : {}),
    };
    if (at === undefined) {
      const detail = signal.aborted ? 'check aborted before pong' : `no pong within ${this.cfg.pingTimeoutMs} ms`;
      if (!signal.aborted) run.supervisor.markUnreachable(device.id, detail);
      return { status: 'offline', reasons: [{ code: 'unreachable', detail }], evidence };
    }
    evidence.pingMs = at - sent;
    if (!run.supervisor.isChannelUp(device.id)) {
      return { status: 'degraded', reasons: [{ code: 'channel-unbound', detail: 'radio gateway reports its radio link down' }], evidence };
    }
    return { status: 'ok', reasons: [], evidence };
  }

  private requireRun(): Running {
    if (!this.run) throw RADIO_ERRORS.error('GW_ERR_RADIO_NOT_STARTED', 'radio adapter not started');
    return this.run;
  }

  private async publish(radioId: string, cmd: RadioCommand): Promise<void> {
    const device = this.run?.radios.get(radioId);
    if (!device) throw RADIO_ERRORS.error('GW_ERR_RADIO_UNKNOWN_GATEWAY', `'${radioId}' is not a radio gateway of this adapter`);
    // QoS 1: at least once (MQTT 3.1.1 §4.3.2); a duplicate is harmless because the gateway de-duplicates on id.
    await this.ctx.bus.publish(deviceTopic(device.siteId, device.id, 'cmd'), encodeCommand(cmd), { qos: 1 });
  }

  private async onMessage(run: Running, topic: string, payload: Buffer): Promise<void> {
    const parsed = parseDeviceTopic(topic);
    if (!parsed) return;
    const device = run.radios.get(parsed.deviceId);
    // Other adapters' devices share these topics: not ours, not an error.
    if (!device) return;
    if (device.siteId !== parsed.siteId) {
      this.ctx.reject('wrong-site', `${topic}: ${device.id} belongs to site ${device.siteId}`, device.id);
      return;
    }
    if (parsed.leaf === 'status') return this.onStatus(run, device, payload);
    if (parsed.leaf === 'telemetry') return this.onHeartbeat(run, device, payload);
    const decoded = decodeEvent(payload);
    if (!decoded.ok) {
      this.ctx.reject(`payload-${decoded.reason}`, `event: ${decoded.detail}`, device.id);
      return;
    }
    run.supervisor.seen(device.id);
    await this.onEvent(run, device, decoded.value);
  }

  private async onStatus(run: Running, device: Device, payload: Buffer): Promise<void> {
    const decoded = decodeStatus(payload);
    if (!decoded.ok) {
      this.ctx.reject(`payload-${decoded.reason}`, `status: ${decoded.detail}`, device.id);
      return;
    }
    // `offline` is the will: the broker speaking for a gateway that is gone, not a sign of life.
    if (decoded.value === 'online') run.supervisor.seen(device.id);
    await this.forward({ deviceId: device.id, type: 'status', data: { status: decoded.value } });
  }

  private async onHeartbeat(run: Running, device: Device, payload: Buffer): Promise<void> {
    const decoded = decodeHeartbeat(payload);
    if (!decoded.ok) {
      this.ctx.reject(`payload-${decoded.reason}`, `telemetry: ${decoded.detail}`, device.id);
      return;
    }
    const hb = decoded.value;
    run.supervisor.seen(device.id);
    if (hb.radio !== undefined) run.supervisor.radioSide(device.id, hb.radio === 'up');
    await this.forward({ deviceId: device.id, type: 'telemetry', data: heartbeatData(hb), ...(hb.at !== undefined ? { at: hb.at } : {}) });
  }

  private async onEvent(run: Running, device: Device, e: RadioEvent): Promise<void> {
    const now = this.ctx.clock.now();
    switch (e.type) {
      case 'tx-ack': {
        const matched = run.transmitter.onAck(device.id, e);
        if (!matched) this.ctx.log.info({ radioId: device.id, ref: e.id, talkgroup: e.talkgroup, status: e.status }, 'tx-ack with no transmission waiting (late or repeated)');
        void this.txAckListeners.emit({
          radioId: device.id,
          ref: e.id,
          talkgroup: e.talkgroup,
          status: e.status,
          ...(e.reason !== undefined ? { reason: e.reason } : {}),
          dup: e.dup === true,
          late: !matched,
          at: e.at ?? now,
        });
        return;
      }
      case 'pong': {
        const p = run.pings.get(e.id);
        if (p && p.radioId === device.id) p.resolve(now);
        return;
      }
      case 'rollcall-ack': {
        // Answers only count for a broadcast this gateway sent through that radio gateway, and
        // at most MAX_ROLLCALL_UNITS per broadcast: a box cannot invent roll-calls or grow memory.
        if (!this.sent.get(e.id)?.has(device.id)) {
          this.ctx.reject('rollcall-unknown-ref', `rollcall-ack for '${e.id}', never sent through ${device.id}`, device.id);
          return;
        }
        const units = this.rollCalls.get(e.id) ?? new Map<string, RollCallAck>();
        if (units.has(e.unit)) return; // the unit pressed twice, or QoS 1 redelivery
        if (units.size >= MAX_ROLLCALL_UNITS) {
          this.ctx.reject('rollcall-too-many', `rollcall-ack for '${e.id}': more than ${MAX_ROLLCALL_UNITS} units`, device.id);
          return;
        }
        const ack: RollCallAck = { radioId: device.id, ref: e.id, unit: e.unit, ...(e.talkgroup ? { talkgroup: e.talkgroup } : {}), at: e.at ?? now };
        units.set(e.unit, ack);
        this.rollCalls.set(e.id, units);
        this.store?.ack(ack);
        void this.rollCallListeners.emit(ack);
        return;
      }
      case 'emergency-call':
      case 'emergency-cancel':
        return this.onCall(run, device, e);
      case 'fault':
      case 'fault-cleared':
        await this.forward({
          deviceId: device.id,
          type: e.type,
          ...(e.at !== undefined ? { at: e.at } : {}),
          data: { ...(e.code !== undefined ? { code: e.code } : {}), ...(e.detail !== undefined ? { detail: e.detail } : {}) },
        });
    }
  }

  /**
   * An emergency call from a school's handset is an event like a button press. It is handed to
   * the core before this handler returns, i.e. before the broker's PUBACK (see broker.ts), so a
   * call the radio gateway was told is accepted is durable. A resend (same callId) is dropped.
   */
  private async onCall(run: Running, device: Device, e: EmergencyCall | EmergencyCancel): Promise<void> {
    const identity = e.callId ?? (e.at !== undefined ? `${e.unit}|${e.talkgroup}|${e.at}` : undefined);
    const key = identity && `${device.id}|${e.type}|${identity}`;
    if (key && this.calls.has(key)) return;
    const siteId = run.directory.siteOf(e.talkgroup) ?? (e.siteId && this.ctx.devices.site(e.siteId) ? e.siteId : undefined);
    if (!siteId) this.ctx.log.warn({ radioId: device.id, talkgroup: e.talkgroup, unit: e.unit }, 'emergency call on a talkgroup of no known school');
    const delivered = await this.forward({
      deviceId: device.id,
      type: e.type,
      ...(e.at !== undefined ? { at: e.at } : {}),
      // siteId and detail are the vocabulary's: the school the call concerns, and what the alarm's summary shows.
      data: { talkgroup: e.talkgroup, unit: e.unit, detail: `${e.talkgroup} ${e.unit}`, ...(siteId ? { siteId } : {}), ...(e.callId ? { callId: e.callId } : {}) },
    });
    if (key && delivered) this.calls.set(key, true);
  }

  private async forward(input: Parameters<AdapterContext['emit']>[0]): Promise<boolean> {
    try {
      await this.ctx.emit(input);
      return true;
    } catch (err) {
      this.ctx.reject('refused-by-core', (err as Error).message, input.deviceId);
      return false;
    }
  }
}
