/**
 * panel-dc09: standard alarm panels and vendor one-touch buttons that report over SIA DC-09
 * (TCP and UDP) reach the gateway exactly as MQTT-native buttons do. The receiver ACKs only
 * after the core has made the event durable, NAKs stale timestamps, answers DUH to what it
 * cannot parse and says nothing to a bad CRC (all in the shared DC-09 receiver).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Adapter, AdapterContext, AdapterFactory, DeviceEventInput } from '../../gateway/contract/adapter.js';
import type { Device } from '../../gateway/contract/types.js';
import type { DeviceEventType } from '../../gateway/contract/vocabulary.js';
import { preciseNow } from '../../gateway/contract/press-timing.js';
import { keyFromHex } from '../shared/dc09/dc09-crypto.js';
import { Dc09Receiver, type Dc09ReceivedMessage, type Dc09RejectInfo } from '../shared/dc09/dc09-receiver.js';
import type { Dc09RejectReason } from '../shared/dc09/dc09-receiver-logic.js';
import type { Dc09EventKind } from '../shared/dc09/event-kinds.js';

export const PanelDc09ConfigSchema = Type.Object(
  {
    host: Type.String({ default: '0.0.0.0' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 12120 }),
    tcp: Type.Boolean({ default: true }),
    udp: Type.Boolean({ default: true }),
    /** AES keys per account (hex); '*' for every account without its own. */
    keys: Type.Record(Type.String(), Type.String({ pattern: '^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{48}|[0-9A-Fa-f]{64})$' }), { default: {} }),
    /** Anti-replay window (SIA DC-09 5.5.1.9); default −40 s / +20 s. */
    pastSeconds: Type.Number({ minimum: 1, default: 40 }),
    futureSeconds: Type.Number({ minimum: 1, default: 20 }),
  },
  { additionalProperties: false },
);
export type PanelDc09Config = Static<typeof PanelDc09ConfigSchema>;

/** What each DC-09 event kind means for the gateway (SIA DC-03 and DC-05 both map to these). */
const KIND_TO_EVENT: Partial<Record<Dc09EventKind, DeviceEventType>> = {
  panic: 'press',
  holdup: 'press',
  duress: 'press',
  emergency: 'press',
  'panic-restore': 'cancel',
  'test-manual': 'test',
  'test-periodic': 'test',
  tamper: 'tamper',
  'tamper-restore': 'tamper-cleared',
  trouble: 'fault',
  'trouble-restore': 'fault-cleared',
};

/** A report naming an account the index does not hold makes it again at most this often. */
const REINDEX_MS = 1000;

export class PanelDc09Adapter implements Adapter {
  private receiver?: Dc09Receiver;
  private byAccount?: Map<string, Device[]>;
  private indexedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly config: PanelDc09Config,
    private readonly ctx: AdapterContext,
  ) {}

  /** Port the receiver is bound to (after start). */
  get port(): number | undefined {
    return this.receiver?.port;
  }

  async start(): Promise<void> {
    const keys: Record<string, Uint8Array> = {};
    for (const [account, hex] of Object.entries(this.config.keys)) keys[account === '*' ? '*' : account.toUpperCase()] = keyFromHex(hex);
    this.receiver = new Dc09Receiver({
      host: this.config.host,
      port: this.config.port,
      tcp: this.config.tcp,
      udp: this.config.udp,
      policy: { keys: (account: string) => keys[account.toUpperCase()] ?? keys['*'], window: { pastSeconds: this.config.pastSeconds, futureSeconds: this.config.futureSeconds } },
      log: this.ctx.log,
      clock: this.ctx.clock,
      onMessage: (msg) => this.onMessage(msg),
      onReject: (reason, detail, info) => this.onReject(reason, detail, info),
    });
    await this.receiver.start();
  }

  async stop(): Promise<void> {
    await this.receiver?.stop();
    this.receiver = undefined;
  }

  /**
   * Counted as `rejects.dc09-<reason>`. The third argument of ctx.reject is a device id: the
   * account a frame named is only a device when one is configured with it (and the frame may
   * name any account), so it goes into the detail and the device, if any, is named.
   */
  private onReject(reason: Dc09RejectReason, detail: string, info: Dc09RejectInfo): void {
    const device = info.account !== undefined ? this.devicesFor(info.account)[0] : undefined;
    const from = `${info.transport} ${info.remote}${info.account !== undefined ? ` account ${info.account}` : ''}`;
    this.ctx.reject(`dc09-${reason}`, `${from}: ${detail}`, device?.id);
  }

  /**
   * The panels of an account (upper-cased), from an index of the registry: scanning it for every
   * report cost 60-80 µs on the alarm path with press-110's 10,700 devices (micro-measure). The
   * index is made at the first report and made again when a report names an account it does not
   * hold (a panel added since), at most once a second, so a flood naming unknown accounts does
   * not scan the registry per frame.
   */
  private devicesFor(account: string): Device[] {
    const key = account.toUpperCase();
    let found = this.byAccount?.get(key);
    if (found === undefined && this.ctx.clock.now() - this.indexedAt >= REINDEX_MS) {
      this.indexedAt = this.ctx.clock.now();
      this.byAccount = new Map();
      for (const d of this.ctx.devices.list({ adapter: 'panel-dc09' })) {
        const k = String(d.options.account ?? '').toUpperCase();
        const list = this.byAccount.get(k);
        if (list) list.push(d);
        else this.byAccount.set(k, [d]);
      }
      found = this.byAccount.get(key);
    }
    return found ?? [];
  }

  /** Resolves once every event is durable: the receiver sends ACK only then. */
  private async onMessage(msg: Dc09ReceivedMessage): Promise<'ack' | 'duh'> {
    const devices = this.devicesFor(msg.frame.account);
    if (devices.length === 0) {
      const from = `${msg.transport} ${msg.remote.address}:${msg.remote.port} account ${msg.frame.account}`;
      this.ctx.reject('dc09-unknown-account', `${from}: no panel-dc09 device has this account (options.account)`);
      return 'duh';
    }
    const at = msg.timestampMs;
    const byZone = (zone: string) => devices.find((d) => String(d.options.zone ?? '') === zone.replace(/^0+/, '')) ?? devices[0];
    const events: DeviceEventInput[] = [];
    if (msg.payload.kind === 'null') {
      // Link test (5.5.2.1): the panel is alive.
      for (const d of devices) events.push({ deviceId: d.id, type: 'telemetry', data: { link: 'dc09-null' }, ...(at ? { at } : {}) });
    } else if (msg.payload.kind === 'sia') {
      for (const e of msg.payload.sia.events) {
        const type = KIND_TO_EVENT[e.kind];
        const device = byZone(e.address);
        if (type && device) events.push({ deviceId: device.id, type, data: { code: e.rawCode, zone: e.address }, ...(at ? { at } : {}) });
      }
    } else {
      const e = msg.payload.cid;
      // Contact ID qualifier 3 is a restore (DC-05): a restore of a panic is a cancel.
      const kind = e.qualifier === 3 && e.kind === 'panic' ? 'panic-restore' : e.kind;
      const type = KIND_TO_EVENT[kind];
      const device = byZone(String(e.zoneOrUser));
      if (type && device) events.push({ deviceId: device.id, type, data: { code: e.rawCode, zone: e.zoneOrUser }, ...(at ? { at } : {}) });
    }
    if (events.length === 0) {
      // Understood but not meaningful to us (an opening report…): acknowledged so the panel moves on.
      for (const d of devices) events.push({ deviceId: d.id, type: 'telemetry', data: { link: 'dc09' }, ...(at ? { at } : {}) });
    }
    // A discrete event (a press) carries its arrival marks for the alarm path's timing (press-timing.ts).
    const decodedAt = preciseNow();
    for (const e of events) await (e.type === 'telemetry' ? this.ctx.emit(e) : this.ctx.emit(e, { receivedAt: msg.arrivedAt, decodedAt }));
    return 'ack';
  }
}

export const panelDc09Adapter: AdapterFactory<PanelDc09Config> = {
  type: 'panel-dc09',
  description: 'Alarm panels and vendor buttons reporting over SIA DC-09 (TCP/UDP), acknowledged once durable',
  kinds: ['alarm-button'],
  availability: 'passive',
  cluster: 'every-node',
  configSchema: PanelDc09ConfigSchema,
  create: (config, ctx) => new PanelDc09Adapter(config, ctx),
};
