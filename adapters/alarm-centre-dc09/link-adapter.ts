/**
 * alarm-centre-dc09: the 110 link. Carries alarm and test reports to the alarm-receiving
 * centre as SIA DC-09 messages over TCP, to a primary receiver with fail-over to a secondary
 * and back, supervises both with NULL messages, and reports the link's health on its own
 * device (kind 'alarm-centre'): `receiver-down` (one path), `link-down` (both), `nak`,
 * `clock-drift`. Retries, ordering and durability belong to the gateway's outbox (Forwarder).
 */
import type { Adapter, AdapterContext, CheckResult } from '../../gateway/contract/adapter.js';
import type { DeliveryResult, ForwardingLink, Outbound } from '../../gateway/contract/capabilities.js';
import type { Device } from '../../gateway/contract/types.js';
import type { AlarmType } from '../../gateway/contract/alarm-types.js';
import { keyFromHex } from '../shared/dc09/dc09-crypto.js';
import { buildMessage, type Dc09EventSpec } from '../shared/dc09/dc09-transmitter-logic.js';
import { Dc09Transmitter, type Dc09SendResult } from '../shared/dc09/dc09-transmitter.js';
import type { LinkConfig } from './link-config.js';

/** The adapter's type, and the outbox channel its reports are kept under. */
export const ALARM_CENTRE_DC09_TYPE = 'alarm-centre-dc09';

interface Receiver {
  name: 'primary' | 'secondary';
  tx: Dc09Transmitter;
  up: boolean | undefined;
  detail?: string;
  lastLatencyMs?: number;
}

const isAck = (r: Dc09SendResult) => r.reply === 'ack';

/** Zone of a device at its site: its configured zone, else its place among the site's devices of its kind. */
export function zoneOf(device: Device | undefined, siblings: Device[]): string {
  if (!device) return '0';
  const configured = device.options.zone;
  if (typeof configured === 'number' || typeof configured === 'string') return String(configured);
  const index = siblings.filter((d) => d.kind === device.kind).findIndex((d) => d.id === device.id);
  return String(index + 1);
}

export class Dc09LinkAdapter implements Adapter {
  private receivers: Receiver[] = [];
  private active: 'primary' | 'secondary' = 'primary';
  private supervision?: ReturnType<AdapterContext['clock']['setInterval']>;
  private clockOffsetMs = 0;
  private nullSequence = 0;
  private key?: Uint8Array;

  constructor(
    private readonly config: LinkConfig,
    private readonly ctx: AdapterContext,
  ) {}

  async start(): Promise<void> {
    const device = this.ctx.devices.get(this.config.device);
    if (!device || device.kind !== 'alarm-centre') {
      throw new Error(`adapters.alarm-centre-dc09.device '${this.config.device}' is not a configured device of kind alarm-centre`);
    }
    if (this.config.key) this.key = keyFromHex(this.config.key);
    const make = (name: Receiver['name'], ep: { host: string; port: number }): Receiver => ({
      name,
      up: undefined,
      tx: new Dc09Transmitter({
        host: ep.host,
        port: ep.port,
        ackTimeoutMs: this.config.ackTimeoutMs,
        connectTimeoutMs: this.config.connectTimeoutMs,
        persistent: true,
        log: this.ctx.log.child({ receiver: name }),
        clock: this.ctx.clock,
        // A reply the link could not use is refused input like any other: counted as rejects.dc09-reply-*.
        onIgnoredReply: (reason, detail) => this.ctx.reject(`dc09-reply-${reason}`, `${name} receiver ${ep.host}:${ep.port}: ${detail}`, this.config.device),
      }),
    });
    this.receivers = [make('primary', this.config.primary), ...(this.config.secondary ? [make('secondary', this.config.secondary)] : [])];
    for (const r of this.receivers) await r.tx.start();
    const missing = this.ctx.devices.sites().filter((s) => !s.arcAccount && this.ctx.devices.list({ siteId: s.id, kind: 'alarm-button' }).length > 0);
    if (missing.length) this.ctx.log.warn({ sites: missing.map((s) => s.id) }, 'sites with alarm buttons but no arcAccount: their reports cannot reach 110');
    if (this.config.supervisionSeconds > 0) {
      this.supervision = this.ctx.clock.setInterval(() => void this.supervise(), this.config.supervisionSeconds * 1000);
      void this.supervise();
    }
  }

  async stop(): Promise<void> {
    if (this.supervision) this.ctx.clock.clearInterval(this.supervision);
    this.supervision = undefined;
    await Promise.all(this.receivers.map((r) => r.tx.stop()));
  }

  /**
   * The 110 link as the forwarder drives it: the alarm types `forward` names, the configured
   * backoff, and an attempt deadline long enough for both receivers to be tried.
   */
  forwarding(): ForwardingLink {
    const c = this.config;
    return {
      channel: ALARM_CENTRE_DC09_TYPE,
      types: c.forward as AlarmType[],
      backoff: { minMs: c.backoffMinMs, maxMs: c.backoffMaxMs },
      attemptTimeoutMs: (c.ackTimeoutMs + c.connectTimeoutMs) * 2 + 1000,
      deliver: (msg, signal) => this.deliver(msg, signal),
    };
  }

  async deliver(msg: Outbound, signal: AbortSignal): Promise<DeliveryResult> {
    const account = msg.site.arcAccount;
    if (!account) return { ok: false, detail: `site ${msg.site.id} has no arcAccount` };
    const event = this.eventFor(msg);
    const order = [...this.receivers].sort((a, b) => (a.name === this.active ? -1 : b.name === this.active ? 1 : 0));
    const failures: string[] = [];
    for (const r of order) {
      if (signal.aborted) break;
      const result = await this.send(r, account.toUpperCase(), msg.sequence ?? 1, event);
      this.record(r, result);
      if (isAck(result)) {
        if (r.name !== this.active) {
          this.ctx.log.warn({ from: this.active, to: r.name }, '110 link failed over');
          this.active = r.name;
        }
        this.updateConditions();
        return {
          ok: true,
          reference: r.name,
          latencyMs: result.latencyMs,
          ...(result.writtenAt !== undefined ? { writtenAt: result.writtenAt } : {}),
          ...(result.answeredAt !== undefined ? { answeredAt: result.answeredAt } : {}),
        };
      }
      failures.push(`${r.name}: ${result.reply}${result.detail ? ` (${result.detail})` : ''}`);
    }
    this.updateConditions();
    return { ok: false, detail: failures.join('; ') || 'aborted' };
  }

  async check(_device: Device, signal: AbortSignal): Promise<CheckResult> {
    const evidence: CheckResult['evidence'] = { active: this.active };
    for (const r of this.receivers) {
      if (signal.aborted) break;
      const res = await this.sendNull(r);
      evidence[`${r.name}Reply`] = res.reply;
      evidence[`${r.name}LatencyMs`] = Math.round(res.latencyMs * 10) / 10;
    }
    const reasons = this.reasons();
    return { status: reasons.some((x) => x.code === 'link-down') ? 'offline' : reasons.length ? 'degraded' : 'ok', reasons, evidence };
  }

  /** Line supervision (DC-09 5.5.2.1 link test): a NULL message to every receiver, then fail back to the primary when it answers. */
  private async supervise(): Promise<void> {
    for (const r of this.receivers) await this.sendNull(r);
    const primary = this.receivers[0];
    if (primary?.up && this.active !== 'primary') {
      this.ctx.log.info('110 link back on the primary receiver');
      this.active = 'primary';
    }
    this.updateConditions();
    const data: Record<string, number | string> = { active: this.active };
    // The centre's clock as its last NAK told it (DC-09 5.5.3.3), for the gateway's clock view.
    if (this.clockOffsetMs !== 0) data['clockDriftSeconds'] = Math.round(this.clockOffsetMs / 100) / 10;
    for (const r of this.receivers) {
      data[`${r.name}Up`] = r.up ? 1 : 0;
      if (r.lastLatencyMs !== undefined) data[`${r.name}LatencyMs`] = Math.round(r.lastLatencyMs * 10) / 10;
    }
    await this.ctx.emit({ deviceId: this.config.device, type: 'telemetry', data }).catch(() => undefined);
  }

  private async sendNull(r: Receiver): Promise<Dc09SendResult> {
    this.nullSequence = (this.nullSequence % 9999) + 1;
    const result = await this.send(r, this.config.supervisionAccount, this.nullSequence, { protocol: 'null' });
    this.record(r, result);
    return result;
  }

  /** Sends once; a NAK carrying the receiver's time is answered by one resend with corrected time (DC-09 5.5.3.3). */
  private async send(r: Receiver, account: string, sequence: number, event: Dc09EventSpec): Promise<Dc09SendResult> {
    const frame = (nowMs: number) => {
      const { bytes } = buildMessage({
        account,
        sequence,
        event,
        line: this.config.line,
        nowMs,
        ...(this.config.receiverNumber ? { receiver: this.config.receiverNumber } : {}),
        ...(this.key ? { key: this.key } : {}),
      });
      return { bytes, sequence, account, ...(this.key ? { key: this.key } : {}) };
    };
    try {
      let result = await r.tx.send(frame(this.ctx.clock.now() + this.clockOffsetMs));
      if (result.reply === 'nak' && result.receiverTime !== undefined) {
        this.clockOffsetMs = result.receiverTime - this.ctx.clock.now();
        const drift = Math.abs(this.clockOffsetMs) / 1000;
        this.ctx.setCondition(this.config.device, 'clock-drift', drift > this.config.clockDriftSeconds, `${this.clockOffsetMs > 0 ? '+' : '-'}${drift.toFixed(1)} s vs ${r.name} receiver`);
        result = await r.tx.send(frame(this.ctx.clock.now() + this.clockOffsetMs));
      }
      this.ctx.setCondition(this.config.device, 'nak', result.reply === 'nak', result.reply === 'nak' ? `${r.name} receiver answered NAK` : undefined);
      return result;
    } catch (err) {
      return { reply: 'closed', latencyMs: 0, detail: (err as Error).message };
    }
  }

  private record(r: Receiver, result: Dc09SendResult): void {
    r.up = isAck(result);
    r.detail = r.up ? undefined : `${result.reply}${result.detail ? `: ${result.detail}` : ''}`;
    if (r.up) r.lastLatencyMs = result.latencyMs;
  }

  private reasons(): CheckResult['reasons'] {
    const down = this.receivers.filter((r) => r.up === false);
    if (down.length === 0) return [];
    const detail = down.map((r) => `${r.name} ${r.detail ?? 'down'}`).join('; ');
    return [{ code: down.length === this.receivers.length ? 'link-down' : 'receiver-down', detail }];
  }

  private updateConditions(): void {
    const reasons = this.reasons();
    const code = reasons[0]?.code;
    this.ctx.setCondition(this.config.device, 'link-down', code === 'link-down', reasons[0]?.detail);
    this.ctx.setCondition(this.config.device, 'receiver-down', code === 'receiver-down', reasons[0]?.detail);
    if (this.receivers.some((r) => r.up)) this.ctx.setCondition(this.config.device, 'unreachable', false);
  }

  private eventFor(msg: Outbound): Dc09EventSpec {
    const zone = zoneOf(msg.device, this.ctx.devices.list({ siteId: msg.site.id }));
    const test = msg.kind === 'test-report';
    const impact = msg.alarm?.type === 'barrier-impact';
    if (this.config.protocol === 'cid') {
      // SIA DC-05 Contact ID: 120 panic, 601 manual test, 101 personal emergency (barrier impact).
      return { protocol: 'cid', qualifier: 1, code: test ? '601' : impact ? '101' : '120', partition: 1, zone: Number(zone) || 0 };
    }
    // SIA DC-03: PA panic, RX manual test, QA emergency (barrier impact).
    return { protocol: 'sia', code: test ? 'RX' : impact ? 'QA' : 'PA', zone };
  }
}
