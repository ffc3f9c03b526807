/** The v1 topic contract (DESIGN.md): campus/v1/{siteId}/{deviceId}/{event|telemetry|status|cmd}. */

export const TOPIC_ROOT = 'campus/v1';
export const DEVICE_LEAVES = ['event', 'telemetry', 'status'] as const;
export type DeviceLeaf = (typeof DEVICE_LEAVES)[number];

export const deviceTopic = (siteId: string, deviceId: string, leaf: DeviceLeaf | 'cmd') => `${TOPIC_ROOT}/${siteId}/${deviceId}/${leaf}`;
export const alarmTopic = (alarmId: string) => `${TOPIC_ROOT}/alarms/${alarmId}`;

export interface ParsedDeviceTopic {
  siteId: string;
  deviceId: string;
  leaf: DeviceLeaf;
}

const DEVICE_PREFIX = `${TOPIC_ROOT}/`;

export function parseDeviceTopic(topic: string): ParsedDeviceTopic | undefined {
  // Called for every device message: walks the string rather than splitting it (no array, no
  // strings for the two fixed levels).
  if (!topic.startsWith(DEVICE_PREFIX)) return undefined;
  const site = DEVICE_PREFIX.length;
  const device = topic.indexOf('/', site) + 1;
  if (device <= site + 1) return undefined;
  const leafAt = topic.indexOf('/', device) + 1;
  if (leafAt <= device + 1 || topic.indexOf('/', leafAt) !== -1) return undefined;
  const leaf = topic.slice(leafAt);
  if (!(DEVICE_LEAVES as readonly string[]).includes(leaf)) return undefined;
  return { siteId: topic.slice(site, device - 1), deviceId: topic.slice(device, leafAt - 1), leaf: leaf as DeviceLeaf };
}

const SLASH = 0x2f;

/**
 * Whether `topic` is one of the device's own leaves (deviceTopic(siteId, deviceId, leaf) for a
 * leaf of DEVICE_LEAVES), compared in place: no strings made, for a check run on every message.
 */
export function isDeviceLeafTopic(topic: string, siteId: string, deviceId: string): boolean {
  const site = DEVICE_PREFIX.length;
  const device = site + siteId.length + 1;
  const leaf = device + deviceId.length + 1;
  if (!topic.startsWith(DEVICE_PREFIX) || !topic.startsWith(siteId, site) || topic.charCodeAt(device - 1) !== SLASH) return false;
  if (!topic.startsWith(deviceId, device) || topic.charCodeAt(leaf - 1) !== SLASH) return false;
  for (const l of DEVICE_LEAVES) if (topic.length === leaf + l.length && topic.startsWith(l, leaf)) return true;
  return false;
}

/** MQTT topic filter matching with `+` and `#` [MQTT-4.7.1]. Filters starting with a wildcard do not match `$` topics [MQTT-4.7.2-1]. */
export function topicMatches(filter: string, topic: string): boolean {
  return levelsMatch(filter.split('/'), topic.split('/'));
}

/**
 * levelsMatch for a topic not split: for a hot path that matches every message's topic against
 * a few filters and should not allocate an array and a string per level for it.
 */
export function filterMatchesTopic(f: readonly string[], topic: string): boolean {
  if (topic.charCodeAt(0) === 36 /* $ */ && (f[0] === '+' || f[0] === '#')) return false;
  // Start of the topic's level i; past the end once the last level is consumed.
  let at = 0;
  for (let i = 0; i < f.length; i++) {
    const part = f[i] as string;
    if (part === '#') return true;
    if (at > topic.length) return false;
    const slash = topic.indexOf('/', at);
    const end = slash === -1 ? topic.length : slash;
    if (part !== '+' && (end - at !== part.length || !topic.startsWith(part, at))) return false;
    at = end + 1;
  }
  return at === topic.length + 1;
}

/**
 * topicMatches on topics already split into levels (`split('/')`): for a caller that matches
 * one topic against many filters, or one filter against many topics, and splits each once.
 */
export function levelsMatch(f: readonly string[], t: readonly string[]): boolean {
  if (t[0]?.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const part = f[i];
    if (part === '#') return true;
    if (i >= t.length) return false;
    if (part !== '+' && part !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * True when every topic the subscription `filter` could match is also matched by `rule`
 * (so a subscription may be granted under a read rule).
 */
export function filterCoveredBy(rule: string, filter: string): boolean {
  const r = rule.split('/');
  const f = filter.split('/');
  for (let i = 0; i < r.length; i++) {
    const rp = r[i];
    if (rp === '#') return true;
    const fp = f[i];
    if (fp === undefined) return false;
    if (fp === '#') return false;
    if (rp === '+') continue;
    if (fp === '+' || fp !== rp) return false;
  }
  return r.length === f.length;
}
