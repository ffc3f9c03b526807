/**
 * Topic access control, shaped like mosquitto's acl_file so operators know it:
 * per-user `topic` rules and `pattern` rules for everyone, with %u (username) and %c
 * (client id) substitution, and `deny` taking precedence. Devices get implicit rules:
 * write under their own campus/v1/{siteId}/{deviceId}/, read their own cmd topic, and
 * nothing else: configured rules can narrow what a device may do (`deny`) but never widen
 * it, so a `pattern`-style grant for everyone (e.g. `clients/%c/#`) does not reach devices.
 */
import type { AclRule } from '../config/schema.js';
import type { DeviceRegistry } from '../contract/adapter.js';
import { DEVICE_LEAVES, deviceTopic, filterCoveredBy, TOPIC_ROOT, topicMatches } from '../contract/topics.js';

export type Access = 'read' | 'write';

export interface Principal {
  username: string;
  clientId: string;
  kind: 'device' | 'user' | 'anonymous';
  /** 'service' users (bridges) may publish device topics for any device. */
  role?: 'integrator' | 'service';
}

export class Acl {
  constructor(
    private readonly rules: readonly AclRule[],
    private readonly registry: DeviceRegistry,
  ) {}

  canPublish(p: Principal, topic: string): boolean {
    if (topic.startsWith('$SYS')) return false;
    return this.decide(p, 'write', (filter) => topicMatches(filter, topic), topic);
  }

  canSubscribe(p: Principal, filter: string): boolean {
    return this.decide(p, 'read', (rule) => filterCoveredBy(rule, filter), filter);
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
