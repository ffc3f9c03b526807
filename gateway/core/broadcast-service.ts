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
import type { DeviceRegistry } from '../../adapters/types.js';
import type { AlarmService } from './alarm-service.js';
import type { Clock } from './clock.js';
import type { EventBus } from './event-bus.js';
import type { Alarm } from './types.js';
import type { BroadcastConfig } from './broadcast-config.js';
import { ChannelDispatcher } from './broadcast-dispatch.js';
import { BroadcastError } from './broadcast-errors.js';
import { LiveBroadcast } from './broadcast-live.js';
import { resolveRecipients, selectPolicy, type RecipientSpec } from './broadcast-policy.js';
import { addressOn, canMove, isRollCallConfirm, satisfied, tally } from './broadcast-recipient.js';
import { renderTemplate, templateVars } from './broadcast-template.js';
import { TokenBucket } from './broadcast-token-bucket.js';
import type {
  Broadcast,
  BroadcastChange,
  BroadcastChannel,
  BroadcastRecipient,
  BroadcastState,
  BroadcastSummary,
  ChannelName,
  ChannelReply,
  ChannelStatus,
  ChannelTarget,
  Contact,
  RecipientState,
  Tally,
  Unsubscribe,
} from './broadcast-types.js';

export interface BroadcastQuery {
  limit?: number;
  alarmId?: string;
  state?: BroadcastState;
}

export interface BroadcastRepository {
  insertBroadcast(b: Broadcast): void;
  updateBroadcast(b: BroadcastSummary): void;
  updateRecipient(broadcastId: string, r: BroadcastRecipient, tally: Tally): void;
  getBroadcast(id: string): Broadcast | undefined;
  listBroadcasts(q?: BroadcastQuery): BroadcastSummary[];
  openBroadcasts(): Broadcast[];
  hasBroadcastForAlarm(alarmId: string): boolean;
}

/** The hash-chained audit log (StateStore.audit fits). */
export interface AuditSink {
  audit(e: { at: number; actor: string; action: string; target: string; detail: Record<string, unknown>; ip?: string }): unknown;
}

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
  private readonly live = new Map<string, LiveBroadcast>();
  private readonly bound = new Map<ChannelName, Bound>();
  private readonly listeners = new Set<(c: BroadcastChange) => void>();
  private offBus: Unsubscribe | undefined;
  private started = false;

  constructor(private readonly d: BroadcastServiceDeps) {}

  /** Plugs a channel in (replacing one of the same name); the returned function unplugs it. */
  bindChannel(channel: BroadcastChannel): Unsubscribe {
    this.unbind(channel.name);
    const limit = this.d.config.rateLimits[channel.name];
    const dispatcher = new ChannelDispatcher({
      channel,
      bucket: new TokenBucket(limit.perSecond, limit.burst, () => this.d.clock.now()),
      clock: this.d.clock,
      log: this.d.log,
      wanted: (ref, address) => this.live.get(ref)?.waiting(channel.name, address) ?? false,
      onSendError: (ref, targets, err) => this.onSendError(channel.name, ref, targets, err),
    });
    const offs = [channel.onStatus((s) => this.onStatus(channel.name, s)), channel.onReply((r) => this.onReply(channel.name, r))];
    const entry: Bound = { channel, dispatcher, offs };
    this.bound.set(channel.name, entry);
    if (this.started) for (const lb of this.live.values()) this.dispatch(lb, lb.b.recipients.filter((r) => r.state === 'queued' && r.channel === channel.name));
    return () => {
      if (this.bound.get(channel.name) === entry) this.unbind(channel.name);
    };
  }

  /** Loads open broadcasts (after a restart), resumes what was queued, and listens for alarms. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const now = this.d.clock.now();
    for (const b of this.d.repo.openBroadcasts()) this.live.set(b.id, new LiveBroadcast(b));
    for (const lb of [...this.live.values()]) {
      if (lb.b.closesAt <= now) this.close(lb, now);
      else {
        // Queued means the far end never accepted it: sending again is the at-least-once path.
        this.dispatch(lb, lb.b.recipients.filter((r) => r.state === 'queued'));
        this.arm(lb);
      }
    }
    this.offBus = this.d.bus?.on('alarm.changed', 'broadcast', (e) => this.onAlarmChanged(e));
    // A crash between committing an alarm and its broadcast: broadcast the recent ones now.
    const window = this.d.config.rollCall.windowSeconds * 1000;
    for (const alarm of this.d.alarms.openAlarms()) {
      if (now - alarm.raisedAt < window && !alarm.timeline.some((e) => e.action === 'broadcast')) this.safely(() => this.broadcastForAlarm(alarm));
    }
  }

  stop(): void {
    this.started = false;
    this.offBus?.();
    this.offBus = undefined;
    for (const name of [...this.bound.keys()]) this.unbind(name);
    for (const lb of this.live.values()) if (lb.timer !== undefined) this.d.clock.clearTimeout(lb.timer);
    this.live.clear();
    this.listeners.clear();
  }

  /** Every change (created, a recipient's state, closed); the lead forwards them to /api/live. */
  onChange(cb: (c: BroadcastChange) => void): Unsubscribe {
    this.listeners.add(cb);
    return () => void this.listeners.delete(cb);
  }

  /** Bus listener: a raised alarm is broadcast per policy, after the raise has been announced. */
  onAlarmChanged(e: { alarm: Alarm; change: string }): void {
    if (e.change !== 'raised' || !this.d.config.enabled) return;
    // After the current emit: the board sees 'raised' before this alarm's 'broadcast' note.
    queueMicrotask(() => this.safely(() => this.broadcastForAlarm(e.alarm)));
  }

  /** Applies the alarm's policy; undefined when no policy fits or it was broadcast already. */
  broadcastForAlarm(alarm: Alarm): Broadcast | undefined {
    if (!this.started || !this.d.config.enabled || this.d.repo.hasBroadcastForAlarm(alarm.id)) return undefined;
    const policy = selectPolicy(this.d.config.policies, alarm);
    if (!policy) return undefined;
    const specs = resolveRecipients(this.d.config, policy.groups, this.d.registry.sites(), { siteId: alarm.siteId });
    if (specs.length === 0) {
      this.d.log.warn({ alarmId: alarm.id, policy: policy.id }, 'broadcast policy reaches nobody');
      return undefined;
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

  /** A duty officer's broadcast. Throws BroadcastError for unknown groups/sites/alarms or nobody to reach. */
  create(input: ManualBroadcastInput): Broadcast {
    if (!this.started) throw new BroadcastError('GW_ERR_BROADCAST_NOT_STARTED', 'the broadcast service is not running');
    const alarm = input.alarmId ? this.d.alarms.get(input.alarmId) : undefined;
    if (input.alarmId && !alarm) throw new BroadcastError('GW_ERR_BROADCAST_UNKNOWN_ALARM', `unknown alarm '${input.alarmId}'`);
    const siteId = input.siteId ?? alarm?.siteId;
    const groups = input.groups ?? [];
    const specs = resolveRecipients(this.d.config, groups, this.d.registry.sites(), { ...(siteId ? { siteId } : {}), extra: input.recipients ?? [] });
    if (specs.length === 0) throw new BroadcastError('GW_ERR_BROADCAST_NO_RECIPIENTS', 'the groups and recipients given reach nobody');
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
    });
  }

  get(id: string): Broadcast | undefined {
    const lb = this.live.get(id);
    return lb ? structuredClone(lb.b) : this.d.repo.getBroadcast(id);
  }

  list(q: BroadcastQuery = {}): BroadcastSummary[] {
    return this.d.repo.listBroadcasts(q);
  }

  // ── internals ──────────────────────────────────────────────────────────────────────

  private render(template: string, drill: boolean, alarm?: Alarm, siteId?: string): string {
    const site = this.d.registry.site(alarm?.siteId ?? siteId ?? '');
    const device = alarm?.deviceId ? this.d.registry.get(alarm.deviceId) : undefined;
    const text = renderTemplate(template, templateVars({ ...(alarm ? { alarm } : {}), ...(site ? { site } : {}), ...(device ? { device } : {}), codes: this.d.config.rollCall.codes, at: this.d.clock.now() }));
    const prefix = this.d.config.drillPrefix;
    return drill && !text.startsWith(prefix) ? `${prefix}${text}` : text;
  }

  private launch(l: Launch): Broadcast {
    const now = this.d.clock.now();
    const fallbackMs = l.fallbackAfterSeconds * 1000;
    const recipients = l.specs.map((s, i): BroadcastRecipient => {
      const channels = l.channels.filter((c) => addressOn(c, s) !== undefined);
      const base = { ...s, id: `r${i + 1}`, channels, attempts: [] };
      const first = channels[0];
      if (!first) return { ...base, state: 'failed', reason: 'no-address', detail: `no address for ${l.channels.join('/')}`, at: { failed: now } };
      return { ...base, channel: first, address: addressOn(first, s) as string, state: 'queued', at: { queued: now }, ...(channels.length > 1 ? { fallbackAt: now + fallbackMs } : {}) };
    });
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
    this.d.repo.insertBroadcast(b);
    this.d.audit.audit({
      at: now,
      actor: l.createdBy,
      action: 'broadcast.send',
      target: b.id,
      detail: { ...(l.alarmId ? { alarmId: l.alarmId } : {}), ...(l.policyId ? { policy: l.policyId } : {}), drill: l.drill, groups: l.groups, channels: l.channels, recipients: recipients.length, text: l.text },
      ...(l.ip ? { ip: l.ip } : {}),
    });
    if (l.alarmId) this.d.alarms.note(l.alarmId, { action: 'broadcast', by: l.createdBy, data: { broadcastId: b.id, recipients: recipients.length } });
    const lb = new LiveBroadcast(b);
    this.live.set(b.id, lb);
    this.d.log.info({ broadcastId: b.id, alarmId: l.alarmId, recipients: recipients.length, channels: l.channels, drill: l.drill }, 'broadcast started');
    this.emit({ change: 'created', broadcast: structuredClone(b) });
    this.dispatch(lb, recipients.filter((r) => r.state === 'queued'));
    if (this.live.has(b.id)) {
      this.checkClosed(lb);
      this.arm(lb);
    }
    return structuredClone(b);
  }

  private dispatch(lb: LiveBroadcast, recipients: BroadcastRecipient[]): void {
    const byChannel = new Map<ChannelName, BroadcastRecipient[]>();
    for (const r of recipients) if (r.channel) byChannel.set(r.channel, [...(byChannel.get(r.channel) ?? []), r]);
    for (const [name, rs] of byChannel) {
      const bound = this.bound.get(name);
      if (!bound) {
        for (const r of rs) this.move(lb, r, 'failed', this.d.clock.now(), 'channel-unavailable', `no ${name} channel is bound`);
        continue;
      }
      const targets = rs.map((r): ChannelTarget => ({ address: r.address as string, ...(name === 'radio' && r.radio ? { talkgroup: r.radio.talkgroup } : {}) }));
      bound.dispatcher.enqueue(lb.b.id, lb.b.text, { drill: lb.b.drill }, targets);
    }
  }

  /** Moves a person on their current channel; a failure falls back to the next channel at once. */
  private move(lb: LiveBroadcast, r: BroadcastRecipient, state: RecipientState, at: number, reason?: string, detail?: string): void {
    if (!canMove(r.state, state)) return;
    r.state = state;
    r.at = { ...r.at, [state]: at };
    if (state === 'failed') {
      if (reason) r.reason = reason;
      if (detail) r.detail = detail;
    }
    if (satisfied(r, lb.b.fallbackUnless)) delete r.fallbackAt;
    this.save(lb, r);
    if (state === 'failed' && LiveBroadcast.nextChannel(r)) {
      this.fallback(lb, r, at);
      this.arm(lb);
    }
  }

  /** Moves a person to their next channel; `batch` collects them for one send instead of sending now. */
  private fallback(lb: LiveBroadcast, r: BroadcastRecipient, now: number, batch?: BroadcastRecipient[]): void {
    const next = LiveBroadcast.nextChannel(r);
    delete r.fallbackAt;
    if (!next || !r.channel || !r.address) {
      this.save(lb, r);
      return;
    }
    r.attempts.push({ channel: r.channel, address: r.address, state: r.state, ...(r.reason ? { reason: r.reason } : {}), ...(r.detail ? { detail: r.detail } : {}), at: r.at });
    this.d.log.info({ broadcastId: lb.b.id, recipient: r.id, from: r.channel, to: next, state: r.state }, 'broadcast fallback');
    r.channel = next;
    r.address = addressOn(next, r) as string;
    r.state = 'queued';
    r.at = { queued: now };
    delete r.reason;
    delete r.detail;
    if (LiveBroadcast.nextChannel(r)) r.fallbackAt = now + lb.b.fallbackAfterSeconds * 1000;
    lb.indexAddress(r);
    this.save(lb, r);
    if (batch) batch.push(r);
    else this.dispatch(lb, [r]);
  }

  private onStatus(channel: ChannelName, s: ChannelStatus): void {
    const lb = this.live.get(s.ref);
    if (!lb) return;
    const at = s.at ?? this.d.clock.now();
    for (const r of lb.at(channel, s.address)) {
      if (r.channel === channel && r.address === s.address) {
        this.move(lb, r, s.state, at, s.reason, s.detail);
        continue;
      }
      // A late word from a channel the person already left: kept in the history only.
      const a = [...r.attempts].reverse().find((x) => x.channel === channel && x.address === s.address);
      if (a && canMove(a.state, s.state)) {
        a.state = s.state;
        a.at = { ...a.at, [s.state]: at };
        if (s.reason) a.reason = s.reason;
        this.save(lb, r);
      }
    }
    if (this.live.has(lb.b.id)) this.checkClosed(lb);
  }

  /**
   * A reply confirms one person in one broadcast: the one the channel names (ref) if that
   * person has not confirmed it yet, else the newest open broadcast they have not confirmed.
   */
  private onReply(channel: ChannelName, rep: ChannelReply): void {
    const at = rep.at ?? this.d.clock.now();
    const confirms = rep.ack === true || (rep.text !== undefined && isRollCallConfirm(rep.text, this.d.config.rollCall.codes));
    const candidates = [...this.live.values()]
      .map((lb) => ({ lb, people: lb.people(channel, rep) }))
      .filter((c) => c.people.length > 0)
      .sort((x, y) => y.lb.b.createdAt - x.lb.b.createdAt);
    const open = (c: (typeof candidates)[number]) => c.people.some((r) => r.state !== 'confirmed');
    const byRef = rep.ref !== undefined ? candidates.find((c) => c.lb.b.id === rep.ref) : undefined;
    const pick = (byRef && open(byRef) ? byRef : undefined) ?? candidates.find(open) ?? byRef ?? candidates[0];
    if (!pick) {
      this.d.log.info({ channel, ref: rep.ref, confirms }, 'reply matches no open broadcast');
      return;
    }
    for (const r of pick.people) {
      r.reply = { channel, at, confirms, ...(rep.text !== undefined ? { text: rep.text } : {}) };
      if (confirms && canMove(r.state, 'confirmed')) {
        r.state = 'confirmed';
        r.at = { ...r.at, confirmed: at };
        delete r.fallbackAt;
      }
      this.save(pick.lb, r);
    }
    this.checkClosed(pick.lb);
  }

  private onSendError(channel: ChannelName, ref: string, targets: ChannelTarget[], err: unknown): void {
    const lb = this.live.get(ref);
    if (!lb) return;
    const code = (err as { code?: unknown }).code;
    const detail = `${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).message ?? String(err)}`;
    for (const t of targets) {
      for (const r of lb.at(channel, t.address)) {
        if (r.channel === channel && r.address === t.address && r.state === 'queued') this.move(lb, r, 'failed', this.d.clock.now(), 'send-error', detail);
      }
    }
    if (this.live.has(ref)) this.checkClosed(lb);
  }

  private onTimer(lb: LiveBroadcast): void {
    lb.timer = undefined;
    const now = this.d.clock.now();
    if (now >= lb.b.closesAt) {
      this.close(lb, now);
      return;
    }
    const moved: BroadcastRecipient[] = [];
    for (const r of lb.b.recipients) {
      if (r.fallbackAt === undefined || r.fallbackAt > now) continue;
      if (satisfied(r, lb.b.fallbackUnless)) {
        delete r.fallbackAt;
        this.save(lb, r);
      } else this.fallback(lb, r, now, moved);
    }
    this.dispatch(lb, moved);
    this.checkClosed(lb);
    this.arm(lb);
  }

  private arm(lb: LiveBroadcast): void {
    if (lb.timer !== undefined) this.d.clock.clearTimeout(lb.timer);
    lb.timer = undefined;
    if (!this.live.has(lb.b.id)) return;
    const wait = Math.max(0, lb.nextDeadline() - this.d.clock.now());
    lb.timer = this.d.clock.setTimeout(() => this.safely(() => this.onTimer(lb)), wait);
  }

  private checkClosed(lb: LiveBroadcast): void {
    if (this.live.has(lb.b.id) && lb.allFinal()) this.close(lb, this.d.clock.now());
  }

  private close(lb: LiveBroadcast, now: number): void {
    if (lb.timer !== undefined) this.d.clock.clearTimeout(lb.timer);
    lb.timer = undefined;
    this.live.delete(lb.b.id);
    lb.b.state = 'closed';
    lb.b.closedAt = now;
    lb.b.tally = tally(lb.b.recipients);
    const { recipients: _r, ...summary } = lb.b;
    this.d.repo.updateBroadcast(summary);
    this.d.log.info({ broadcastId: lb.b.id, tally: lb.b.tally }, 'broadcast closed');
    this.emit({ change: 'closed', broadcastId: lb.b.id, tally: { ...lb.b.tally }, at: now });
  }

  private save(lb: LiveBroadcast, r: BroadcastRecipient): void {
    lb.b.tally = tally(lb.b.recipients);
    this.d.repo.updateRecipient(lb.b.id, r, lb.b.tally);
    this.emit({ change: 'recipient', broadcastId: lb.b.id, recipient: structuredClone(r), tally: { ...lb.b.tally } });
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
}
