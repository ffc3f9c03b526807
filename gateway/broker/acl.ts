/**
 * Topic access control, shaped like mosquitto's acl_file so operators know it:
 * per-user `topic` rules and `pattern` rules for everyone, with %u (username) and %c
 * (client id) substitution, and `deny` taking precedence. Devices get implicit rules:
 * write under their own campus/v1/{siteId}/{deviceId}/, read their own cmd topic, and
 * nothing else: configured rules can narrow what a device may do (`deny`) but never widen
 * it, so a `pattern`-style grant for everyone (e.g. `clients/%c/#`) does not reach devices.
 *
 * Read access is checked twice, as mosquitto does: at SUBSCRIBE (the filter must lie under a
 * read grant and not under a deny) and again for every message delivered (canRead, from aedes'
 * authorizeForward), so a `deny` narrower than the subscription still holds: a client granted
 * `campus/#` and denied `campus/v1/alarms/#` may subscribe to `campus/#` and never receives an
 * alarm topic, retained or live. Delivery decisions are cached per connection and topic
 * (ForwardCache): a bounded map, dropped whenever the rules change (setRules).
 */
import type { AclRule } from '../config/schema.js';
import type { DeviceRegistry } from '../contract/adapter.js';
import { DEVICE_LEAVES, deviceTopic, filterCoveredBy, isDeviceLeafTopic, TOPIC_ROOT, topicMatches } from '../contract/topics.js';

export type Access = 'read' | 'write';

export interface Principal {
  username: string;
  clientId: string;
  kind: 'device' | 'user' | 'anonymous';
  /** 'service' users (bridges) may publish device topics for any device. */
  role?: 'integrator' | 'service';
}

export class Acl {
  private rules: readonly AclRule[];
  private gen = 0;
  /** Configured deny rules: some reach every user (no `user`), or only these usernames. */
  private denyAll = false;
  private denyUsers = new Set<string>();

  constructor(
    rules: readonly AclRule[],
    private readonly registry: DeviceRegistry,
  ) {
    this.rules = rules;
    this.indexDenies();
  }

  /** Replaces the configured rules; every cached delivery decision is dropped. */
  setRules(rules: readonly AclRule[]): void {
    this.rules = rules;
    this.indexDenies();
    this.gen++;
  }

  private indexDenies(): void {
    const denies = this.rules.filter((r) => r.access === 'deny');
    this.denyAll = denies.some((r) => r.user === undefined);
    this.denyUsers = new Set(denies.flatMap((r) => (r.user === undefined ? [] : [r.user])));
  }

  /**
   * canPublish of a device that no configured deny rule names (the usual case), decided on the
   * topic itself: its own leaves and nothing else, as canPublish decides. No per-connection cache
   * is needed for it (a PublishCache with its topics cost ~330 bytes per connected device).
   * Undefined when the principal is not such a device: ask a PublishCache.
   */
  devicePublish(p: Principal, topic: string): boolean | undefined {
    if (p.kind !== 'device' || this.denyAll || this.denyUsers.has(p.username)) return undefined;
    const device = this.registry.get(p.username);
    return device !== undefined && isDeviceLeafTopic(topic, device.siteId, device.id);
  }

  /** Bumped by setRules: a ForwardCache made under another generation is stale. */
  get generation(): number {
    return this.gen;
  }

  canPublish(p: Principal, topic: string): boolean {
    if (topic.startsWith('$SYS')) return false;
    return this.decide(p, 'write', (filter) => topicMatches(filter, topic), topic);
  }

  canSubscribe(p: Principal, filter: string): boolean {
    return this.decide(p, 'read', (rule) => filterCoveredBy(rule, filter), filter);
  }

  /** May `p` receive a message published on `topic` (checked for every delivery)? */
  canRead(p: Principal, topic: string): boolean {
    return this.readDecision(this.rulesFor(p), topic);
  }

  /** A per-connection cache of canPublish, built on the rules in force now. */
  publishCache(p: Principal, maxTopics = FORWARD_CACHE_TOPICS): PublishCache {
    return new PublishCache(this, p, maxTopics);
  }

  /** @internal What a device principal's own rules are made of (undefined for users). */
  deviceOf(p: Principal): unknown {
    return p.kind === 'device' ? this.registry.get(p.username) : undefined;
  }

  /** A per-connection cache of canRead, built on the rules in force now. */
  forwardCache(p: Principal, maxTopics = FORWARD_CACHE_TOPICS): ForwardCache {
    return new ForwardCache(this, p, this.rulesFor(p), maxTopics);
  }

  /** @internal canRead on rules already expanded for the principal. */
  readDecision(rules: readonly AclRule[], topic: string): boolean {
    for (const r of rules) if (r.access === 'deny' && topicMatches(r.topic, topic)) return false;
    return rules.some((r) => (r.access === 'read' || r.access === 'readwrite') && topicMatches(r.topic, topic));
  }

  private decide(p: Principal, access: Access, matches: (rule: string) => boolean, subject: string): boolean {
    const rules = this.rulesFor(p);
    // deny wins over any grant, as in mosquitto.
    for (const r of rules) if (r.access === 'deny' && (matches(r.topic) || topicMatches(r.topic, subject))) return false;
    return rules.some((r) => (r.access === access || r.access === 'readwrite') && matches(r.topic));
  }

  private rulesFor(p: Principal): AclRule[] {
    const out: AclRule[] = [];
    if (p.kind === 'device') {
      const device = this.registry.get(p.username);
      if (device) {
        for (const leaf of DEVICE_LEAVES) out.push({ topic: deviceTopic(device.siteId, device.id, leaf), access: 'write' });
        out.push({ topic: deviceTopic(device.siteId, device.id, 'cmd'), access: 'read' });
      }
    }
    if (p.kind === 'user' && p.role === 'service') out.push({ topic: `${TOPIC_ROOT}/+/+/+`, access: 'write' });
    for (const r of this.rules) {
      if (r.user !== undefined && r.user !== p.username) continue;
      if (p.kind === 'device' && r.access !== 'deny') continue;
      out.push({ ...r, topic: r.topic.replaceAll('%u', p.username).replaceAll('%c', p.clientId) });
    }
    return out;
  }
}

/** Topics remembered per connection before the oldest decisions are forgotten. */
export const FORWARD_CACHE_TOPICS = 4096;

/**
 * canRead for one connection: the principal's rules are expanded once (not per message) and
 * each topic's decision is remembered, up to `maxTopics` (the oldest goes first). A change of
 * the ACL's rules (its generation) empties it.
 */
export class ForwardCache {
  private readonly decisions = new Map<string, boolean>();
  private readonly gen: number;
  hits = 0;
  misses = 0;

  constructor(
    private readonly acl: Acl,
    private readonly principal: Principal,
    private readonly rules: readonly AclRule[],
    private readonly maxTopics: number,
  ) {
    this.gen = acl.generation;
  }

  /** False when the ACL changed since this cache was made: make a new one. */
  get current(): boolean {
    return this.gen === this.acl.generation;
  }

  canRead(topic: string): boolean {
    const known = this.decisions.get(topic);
    if (known !== undefined) {
      this.hits++;
      return known;
    }
    this.misses++;
    return remembered(this.decisions, this.maxTopics, topic, (t) => this.acl.readDecision(this.rules, t));
  }

  get size(): number {
    return this.decisions.size;
  }

  get who(): Principal {
    return this.principal;
  }
}

/** Remembers `decide(topic)` in `decisions`, up to `max` topics (the oldest goes first). */
function remembered(decisions: Map<string, boolean>, max: number, topic: string, decide: (topic: string) => boolean): boolean {
  const ok = decide(topic);
  if (decisions.size >= max) decisions.delete(decisions.keys().next().value as string);
  decisions.set(topic, ok);
  return ok;
}

/**
 * canPublish for one connection, remembered per topic: a device publishes to a handful of
 * topics, and expanding its rules (its own topics, the configured denies) for every heartbeat
 * cost more than the heartbeat's own handling. Stale once the ACL's rules change (generation) or
 * the device's registry entry is replaced (its school, hence its topics, may have changed).
 */
export class PublishCache {
  /**
   * The first three topics' decisions are fields, the rest (integrators) a Map made when needed:
   * a device publishes to its three leaves only, and a Map per connection cost ~250 bytes, times
   * every connected device.
   */
  private t0: string | undefined = undefined;
  private ok0 = false;
  private t1: string | undefined = undefined;
  private ok1 = false;
  private t2: string | undefined = undefined;
  private ok2 = false;
  private more: Map<string, boolean> | undefined = undefined;
  private readonly gen: number;
  private readonly device: unknown;

  constructor(
    private readonly acl: Acl,
    private readonly principal: Principal,
    private readonly maxTopics: number,
  ) {
    this.gen = acl.generation;
    this.device = acl.deviceOf(principal);
  }

  get current(): boolean {
    return this.gen === this.acl.generation && this.device === this.acl.deviceOf(this.principal);
  }

  canPublish(topic: string): boolean {
    if (topic === this.t0) return this.ok0;
    if (topic === this.t1) return this.ok1;
    if (topic === this.t2) return this.ok2;
    const known = this.more?.get(topic);
    if (known !== undefined) return known;
    const ok = this.acl.canPublish(this.principal, topic);
    // Up to maxTopics in all: the fields first, then the Map (its oldest goes first).
    if (this.t0 === undefined || this.maxTopics < 2) {
      this.t0 = topic;
      this.ok0 = ok;
    } else if (this.t1 === undefined || this.maxTopics < 3) {
      this.t1 = topic;
      this.ok1 = ok;
    } else if (this.t2 === undefined) {
      this.t2 = topic;
      this.ok2 = ok;
    } else if (this.maxTopics > 3) remembered((this.more ??= new Map()), this.maxTopics - 3, topic, () => ok);
    return ok;
  }
}
