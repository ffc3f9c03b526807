/**
 * The broadcast service ("一呼百应"): an alarm (or a duty officer) sends one message to every
 * patrol officer, guard post and school contact at once, over radio talkgroups and SMS, and
 * follows each person from queued to confirmed. Persistence comes in through
 * BroadcastRepository, channels through BroadcastChannel, time through Clock.
 *
 *   alarm raised ─policy─▶ recipients ─▶ per-channel queue (token bucket) ─▶ channel.send
 *   channel.onStatus ─▶ sent / delivered / failed (failed → next channel at once)
 *   timer ─▶ not delivered (or not confirmed) after N s → next channel of the policy
 *   channel.onReply ─▶ roll-call code or radio ack → confirmed
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../../contract/adapter.js';
import type { AlarmService } from '../alarms/service.js';
import type { Clock } from '../../contract/clock.js';
import type { EventBus } from '../bus.js';
import type { Alarm } from '../../contract/types.js';
import type { BroadcastConfig } from './config.js';
import { ChannelDispatcher } from './dispatch.js';
import { errorMessage, GatewayError } from '../../contract/errors.js';
import type { LiveBroadcast } from './live.js';
import { RollCall } from './roll-call.js';
import { resolveRecipients, selectPolicy, type OnCallLookup } from './policy.js';
import { type RecipientSpec } from './types.js';
import { initialRecipients } from './recipient.js';
import { tally } from './tally.js';
import { renderTemplate, templateVars } from './template.js';
import { TokenBucket } from './token-bucket.js';
import type { AuditSink, Broadcast, BroadcastChange, BroadcastQuery, BroadcastRecipient, BroadcastRepository, BroadcastSummary, Contact } from './types.js';
import type { BroadcastChannel, ChannelName, ChannelTarget, Unsubscribe } from '../../contract/capabilities.js';

export type { AuditSink, BroadcastQuery, BroadcastRepository } from './types.js';

export interface BroadcastServiceDeps {
  config: BroadcastConfig;
  repo: BroadcastRepository;
  audit: AuditSink;
  alarms: Pick<AlarmService, 'get' | 'note' | 'openAlarms'>;
  registry: Pick<DeviceRegistry, 'get' | 'site' | 'sites'>;
  /** When given, start() subscribes to 'alarm.changed' and stop() unsubscribes. */
  bus?: Pick<EventBus, 'on'>;
  clock: Clock;
  log: Logger;
  /** Who is on call for a role now (groups with `oncallRole`); without it those groups reach nobody. */
  oncall?: OnCallLookup;
  /**
   * Cluster mode: broadcasts are led by the node holding the singleton duties (its channels are
   * bound there). start() then loads nothing; takeOver() loads the open broadcasts and catches up
   * on recent alarms when this node becomes the holder, and alarms raised on any node (seen here
   * as 'refreshed') are broadcast while lead() is true. Absent: this node always leads.
   */
  lead?: () => boolean;
}

/** A duty officer's broadcast (POST /api/broadcasts). */
export interface ManualBroadcastInput {
  /** May use the template placeholders; they are filled from the alarm/site when given. */
  text: string;
  groups?: string[];
  recipients?: Contact[];
  channels?: ChannelName[];
  alarmId?: string;
  /** Narrows site-scoped groups (guard-posts, school-contacts) to one school. */
  siteId?: string;
  by?: string;
  ip?: string;
  /** What the broadcast was made for, kept as its policyId (escalation names its step: a retry finds it). */
  policyId?: string;
}

interface Launch {
  text: string;
  drill: boolean;
  createdBy: string;
  alarmId?: string;
  siteId?: string;
  policyId?: string;
  groups: string[];
  channels: ChannelName[];
  fallbackAfterSeconds: number;
  fallbackUnless: 'delivered' | 'confirmed';
  specs: RecipientSpec[];
  ip?: string;
}

interface Bound {
  channel: BroadcastChannel;
  dispatcher: ChannelDispatcher;
  offs: Unsubscribe[];
}

export class BroadcastService {
  private readonly roll: RollCall;
  private readonly bound = new Map<ChannelName, Bound>();
  private readonly listeners = new Set<(c: BroadcastChange) => void>();
  private offBus: Unsubscribe | undefined;
  private started = false;
  /** Writes of the roll-call, in order; each change is announced once written. */
  private writes: Promise<void> = Promise.resolve();
  /** Work started by events nobody awaits (alarm broadcasts), so idle() can wait for it. */
  private readonly background = new Set<Promise<unknown>>();
  /** Alarms whose broadcast is being launched (a raise and the start's catch-up cannot both). */
  private readonly launching = new Set<string>();

  constructor(private readonly d: BroadcastServiceDeps) {
    this.roll = new RollCall({
      repo: d.repo,
      clock: d.clock,
      log: d.log,
      codes: d.config.rollCall.codes,
      dispatch: (lb, rs) => this.dispatch(lb, rs),
      emit: (c) => this.emit(c),
      safely: (fn) => this.safely(fn),
      persist: (write, announce) => this.persist(write, announce),
    });
  }

  /** Plugs a channel in (replacing one of the same name); the returned function unplugs it. */
  bindChannel(channel: BroadcastChannel): Unsubscribe {
    this.unbind(channel.name);
    const limit = this.d.config.rateLimits[channel.name];
    const dispatcher = new ChannelDispatcher({
      channel,
      bucket: new TokenBucket(limit.perSecond, limit.burst, () => this.d.clock.now()),
      clock: this.d.clock,
      log: this.d.log,
      wanted: (ref, address) => this.roll.waiting(ref, channel.name, address),
      onSendError: (ref, targets, err) => this.roll.onSendError(channel.name, ref, targets, err),
    });
    const offs = [channel.onStatus((s) => this.roll.onStatus(channel.name, s)), channel.onReply((r) => this.roll.onReply(channel.name, r))];
    const entry: Bound = { channel, dispatcher, offs };
    this.bound.set(channel.name, entry);
    if (this.started) for (const lb of this.roll.all()) this.dispatch(lb, lb.b.recipients.filter((r) => r.state === 'queued' && r.channel === channel.name));
    return () => {
      if (this.bound.get(channel.name) === entry) this.unbind(channel.name);
    };
  }

  /** Loads open broadcasts (after a restart), resumes what was queued, and listens for alarms. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.offBus = this.d.bus?.on('alarm.changed', 'broadcast', (e) => this.onAlarmChanged(e));
    // Cluster mode: takeOver() when this node becomes the holder.
    if (!this.d.lead) await this.takeOver();
  }

  /**
   * Leads the open broadcasts from now on: loads those not followed here yet (after a restart, or
   * from a holder that died), sends again what was queued, and broadcasts recent alarms that have
   * none (a crash between committing an alarm and its broadcast, or no holder when it was raised).
   */
  async takeOver(): Promise<void> {
    if (!this.started) return;
    const open = await this.d.repo.openBroadcasts();
    const now = this.d.clock.now();
    const loaded = open.filter((b) => !this.roll.isOpen(b.id)).map((b) => this.roll.add(b));
    for (const lb of loaded) {
      if (lb.b.closesAt <= now) this.roll.close(lb, now);
      else {
        // Queued means the far end never accepted it: sending again is the at-least-once path.
        this.dispatch(lb, lb.b.recipients.filter((r) => r.state === 'queued'));
        this.roll.arm(lb);
      }
    }
    for (const alarm of this.d.alarms.openAlarms()) if (this.recentWithoutBroadcast(alarm, now)) this.inBackground(this.broadcastForAlarm(alarm));
  }

  /** Cluster mode: another node leads now; the open broadcasts are left to it (their state stays in the store). */
  handOver(): void {
    this.roll.clear();
  }

  private recentWithoutBroadcast(alarm: Alarm, now: number): boolean {
    return now - alarm.raisedAt < this.d.config.rollCall.windowSeconds * 1000 && !alarm.timeline.some((e) => e.action === 'broadcast');
  }

  async stop(): Promise<void> {
    this.started = false;
    this.offBus?.();
    this.offBus = undefined;
    for (const name of [...this.bound.keys()]) this.unbind(name);
    this.roll.clear();
    this.listeners.clear();
    await this.idle();
  }

  /** Resolves once every change made so far is written (and announced) and background work ended. */
  async idle(): Promise<void> {
    for (;;) {
      const writes = this.writes;
      await Promise.allSettled([writes, ...this.background]);
      if (writes === this.writes && this.background.size === 0) return;
    }
  }

  /** Every change (created, a recipient's state, closed); the lead forwards them to /api/live. */
  onChange(cb: (c: BroadcastChange) => void): Unsubscribe {
    this.listeners.add(cb);
    return () => void this.listeners.delete(cb);
  }

  /** Bus listener: a raised alarm is broadcast per policy (its 'broadcast' note reaches listeners after the raise). */
  onAlarmChanged(e: { alarm: Alarm; change: string }): void {
    if (!this.d.config.enabled) return;
    if (this.d.lead) {
      // Cluster mode: the holder broadcasts, for alarms raised here or (re-read, 'refreshed') on another node.
      if (!this.d.lead()) return;
      if (e.change !== 'raised' && !(e.change === 'refreshed' && this.recentWithoutBroadcast(e.alarm, this.d.clock.now()))) return;
    } else if (e.change !== 'raised') return;
    this.inBackground(this.broadcastForAlarm(e.alarm));
  }

  /** Applies the alarm's policy; undefined when no policy fits or it was broadcast already. */
  async broadcastForAlarm(alarm: Alarm): Promise<Broadcast | undefined> {
    if (!this.started || !this.d.config.enabled || this.launching.has(alarm.id)) return undefined;
    const policy = selectPolicy(this.d.config.policies, alarm);
    if (!policy) return undefined;
    this.launching.add(alarm.id);
    try {
      if (await this.d.repo.hasBroadcastForAlarm(alarm.id)) return undefined;
      return await this.launchForAlarm(alarm, policy);
    } finally {
      this.launching.delete(alarm.id);
    }
  }

  private launchForAlarm(alarm: Alarm, policy: NonNullable<ReturnType<typeof selectPolicy>>): Promise<Broadcast | undefined> {
    const specs = resolveRecipients(this.d.config, policy.groups, this.d.registry.sites(), { siteId: alarm.siteId, ...(this.d.oncall ? { oncall: this.d.oncall } : {}) });
    if (specs.length === 0) {
      this.d.log.warn({ alarmId: alarm.id, policy: policy.id }, 'broadcast policy reaches nobody');
      return Promise.resolve(undefined);
    }
    return this.launch({
      text: this.render(this.d.config.templates[policy.template] ?? '{summary}', alarm.drill, alarm),
      drill: alarm.drill,
      createdBy: 'system',
      alarmId: alarm.id,
      siteId: alarm.siteId,
      policyId: policy.id,
      groups: [...policy.groups],
      channels: [...policy.channels],
      fallbackAfterSeconds: policy.fallbackAfterSeconds,
      fallbackUnless: policy.fallbackUnless,
      specs,
    });
  }

  /** A duty officer's broadcast. Throws a coded error (GW_ERR_BROADCAST_*) for unknown groups/sites/alarms or nobody to reach. */
  async create(input: ManualBroadcastInput): Promise<Broadcast> {
    if (!this.started) throw new GatewayError('GW_ERR_BROADCAST_NOT_STARTED', 'the broadcast service is not running');
    const alarm = input.alarmId ? await this.d.alarms.get(input.alarmId) : undefined;
    if (input.alarmId && !alarm) throw new GatewayError('GW_ERR_BROADCAST_UNKNOWN_ALARM', `unknown alarm '${input.alarmId}'`);
    const siteId = input.siteId ?? alarm?.siteId;
    const groups = input.groups ?? [];
    const specs = resolveRecipients(this.d.config, groups, this.d.registry.sites(), { ...(siteId ? { siteId } : {}), extra: input.recipients ?? [], ...(this.d.oncall ? { oncall: this.d.oncall } : {}) });
    if (specs.length === 0) throw new GatewayError('GW_ERR_BROADCAST_NO_RECIPIENTS', 'the groups and recipients given reach nobody');
    const drill = alarm?.drill ?? false;
    const manual = this.d.config.manual;
    return this.launch({
      text: this.render(input.text, drill, alarm, siteId),
      drill,
      createdBy: input.by ?? 'operator',
      ...(alarm ? { alarmId: alarm.id } : {}),
      ...(siteId ? { siteId } : {}),
      groups: [...groups, ...(input.recipients?.length ? ['ad-hoc'] : [])],
      channels: input.channels ? [...new Set(input.channels)] : [...manual.channels],
      fallbackAfterSeconds: manual.fallbackAfterSeconds,
      fallbackUnless: manual.fallbackUnless,
      specs,
      ...(input.ip ? { ip: input.ip } : {}),
      ...(input.policyId ? { policyId: input.policyId } : {}),
    });
  }

  /** An open broadcast as it is now; a closed one as stored, once this node's changes to it are. */
  async get(id: string): Promise<Broadcast | undefined> {
    const lb = this.roll.get(id);
    if (lb) return structuredClone(lb.b);
    await this.written();
    return this.d.repo.getBroadcast(id);
  }

  async list(q: BroadcastQuery = {}): Promise<BroadcastSummary[]> {
    await this.written();
    return this.d.repo.listBroadcasts(q);
  }

  /** Resolves once the roll-call changes made so far are written (read your own writes). */
  private written(): Promise<void> {
    return this.writes;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────

  private render(template: string, drill: boolean, alarm?: Alarm, siteId?: string): string {
    const site = this.d.registry.site(alarm?.siteId ?? siteId ?? '');
    const device = alarm?.deviceId ? this.d.registry.get(alarm.deviceId) : undefined;
    const text = renderTemplate(template, templateVars({ ...(alarm ? { alarm } : {}), ...(site ? { site } : {}), ...(device ? { device } : {}), codes: this.d.config.rollCall.codes, at: this.d.clock.now() }));
    const prefix = this.d.config.drillPrefix;
    return drill && !text.startsWith(prefix) ? `${prefix}${text}` : text;
  }

  private async launch(l: Launch): Promise<Broadcast> {
    const now = this.d.clock.now();
    const recipients = initialRecipients(l.specs, l.channels, now, l.fallbackAfterSeconds * 1000);
    const b: Broadcast = {
      id: randomUUID(),
      ...(l.alarmId ? { alarmId: l.alarmId } : {}),
      ...(l.siteId ? { siteId: l.siteId } : {}),
      drill: l.drill,
      text: l.text,
      createdBy: l.createdBy,
      createdAt: now,
      state: 'open',
      closesAt: now + this.d.config.rollCall.windowSeconds * 1000,
      ...(l.policyId ? { policyId: l.policyId } : {}),
      groups: l.groups,
      channels: l.channels,
      fallbackAfterSeconds: l.fallbackAfterSeconds,
      fallbackUnless: l.fallbackUnless,
      tally: tally(recipients),
      recipients,
    };
    await this.d.repo.insertBroadcast(b);
    await this.d.audit.audit({
      at: now,
      actor: l.createdBy,
      action: 'broadcast.send',
      target: b.id,
      detail: { ...(l.alarmId ? { alarmId: l.alarmId } : {}), ...(l.policyId ? { policy: l.policyId } : {}), drill: l.drill, groups: l.groups, channels: l.channels, recipients: recipients.length, text: l.text },
      ...(l.ip ? { ip: l.ip } : {}),
    });
    if (l.alarmId) await this.d.alarms.note(l.alarmId, { action: 'broadcast', by: l.createdBy, data: { broadcastId: b.id, recipients: recipients.length } });
    const lb = this.roll.add(b);
    this.d.log.info({ broadcastId: b.id, alarmId: l.alarmId, recipients: recipients.length, channels: l.channels, drill: l.drill }, 'broadcast started');
    this.emit({ change: 'created', broadcast: structuredClone(b) });
    this.dispatch(lb, recipients.filter((r) => r.state === 'queued'));
    if (this.roll.isOpen(b.id)) {
      this.roll.checkClosed(lb);
      this.roll.arm(lb);
    }
    return structuredClone(b);
  }

  private dispatch(lb: LiveBroadcast, recipients: BroadcastRecipient[]): void {
    const byChannel = new Map<ChannelName, BroadcastRecipient[]>();
    for (const r of recipients) if (r.channel) byChannel.set(r.channel, [...(byChannel.get(r.channel) ?? []), r]);
    for (const [name, rs] of byChannel) {
      const bound = this.bound.get(name);
      if (!bound) {
        for (const r of rs) this.roll.move(lb, r, 'failed', this.d.clock.now(), 'channel-unavailable', `no ${name} channel is bound`);
        continue;
      }
      const targets = rs.map((r): ChannelTarget => ({ address: r.address as string, ...(name === 'radio' && r.radio ? { talkgroup: r.radio.talkgroup } : {}) }));
      bound.dispatcher.enqueue(lb.b.id, lb.b.text, { drill: lb.b.drill }, targets);
    }
  }

  private emit(c: BroadcastChange): void {
    for (const cb of this.listeners) {
      try {
        cb(c);
      } catch (err) {
        this.d.log.error({ err, change: c.change }, 'broadcast listener failed');
      }
    }
  }

  private unbind(name: ChannelName): void {
    const b = this.bound.get(name);
    if (!b) return;
    this.bound.delete(name);
    for (const off of b.offs) off();
    b.dispatcher.stop();
  }

  private safely(fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      this.d.log.error({ err }, 'broadcast failed');
    }
  }

  private inBackground(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => this.d.log.error({ err: errorMessage(err) }, 'broadcast failed'));
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  private persist(write: () => Promise<void>, announce: () => void): void {
    this.writes = this.writes.then(async () => {
      try {
        await write();
      } catch (err) {
        // The person's state moved on in memory; the next change writes it again.
        this.d.log.error({ err: errorMessage(err) }, 'broadcast change could not be written');
        return;
      }
      announce();
    });
  }
}
