import { describe, expect, it } from 'vitest';
import { Acl, type Principal } from '../../../gateway/broker/acl.js';
import { filterCoveredBy, filterMatchesTopic, isDeviceLeafTopic, levelsMatch, parseDeviceTopic, topicMatches } from '../../../gateway/contract/topics.js';
import { Registry } from '../../../gateway/core/devices/registry.js';

const registry = new Registry([], [{ id: 'b1', siteId: 's1', kind: 'alarm-button', adapter: 'mqtt-native', name: 'b1', options: {} }]);
const device: Principal = { username: 'b1', clientId: 'b1', kind: 'device' };
const integrator: Principal = { username: 'ops', clientId: 'ops-1', kind: 'user', role: 'integrator' };

describe('topics', () => {
  it('matches MQTT filters [MQTT-4.7]', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
    expect(topicMatches('#', '$SYS/x')).toBe(false);
    expect(filterCoveredBy('a/+/c', 'a/b/c')).toBe(true);
    expect(filterCoveredBy('a/b/c', 'a/+/c')).toBe(false);
    expect(filterCoveredBy('a/#', 'a/+/c')).toBe(true);
    expect(filterCoveredBy('a/+', 'a/#')).toBe(false);
  });
  it('parses v1 device topics only', () => {
    expect(parseDeviceTopic('campus/v1/s1/b1/event')).toStrictEqual({ siteId: 's1', deviceId: 'b1', leaf: 'event' });
    expect(parseDeviceTopic('campus/v1/sch-01/sch-01-btn-1/telemetry')).toStrictEqual({ siteId: 'sch-01', deviceId: 'sch-01-btn-1', leaf: 'telemetry' });
    expect(parseDeviceTopic('campus/v1/s1/b1/cmd')).toBeUndefined();
    expect(parseDeviceTopic('campus/v1/s1/b1/event/x')).toBeUndefined();
    expect(parseDeviceTopic('campus/v1/s1/b1/event/')).toBeUndefined();
    expect(parseDeviceTopic('campus/v2/s1/b1/event')).toBeUndefined();
    // Empty or missing levels.
    for (const t of ['campus/v1//b1/event', 'campus/v1/s1//event', 'campus/v1/s1/b1/', 'campus/v1/s1/b1', 'campus/v1/s1', 'campus/v1/', 'campus/v1', '', 'xcampus/v1/s1/b1/event', 'campus/v1/s1/b1/eventx']) {
      expect(parseDeviceTopic(t), t).toBeUndefined();
    }
  });
  it('matches an unsplit topic exactly as levelsMatch matches its levels', () => {
    const levels = ['', 'a', 'b', '+', '#', '$SYS', 'ab'];
    const filters: string[][] = [];
    const topics: string[] = [];
    // Every filter and topic of up to 3 levels from these (a filter's '#' only last).
    const grow = (prefix: string[], depth: number): void => {
      if (prefix.length > 0) {
        if (prefix.slice(0, -1).every((l) => l !== '#')) filters.push(prefix);
        if (prefix.every((l) => l !== '+' && l !== '#')) topics.push(prefix.join('/'));
      }
      if (depth > 0) for (const l of levels) grow([...prefix, l], depth - 1);
    };
    grow([], 3);
    let agreed = 0;
    for (const f of filters) {
      for (const t of topics) {
        expect(filterMatchesTopic(f, t), `${f.join('/')} ~ ${t}`).toBe(levelsMatch(f, t.split('/')));
        agreed++;
      }
    }
    expect(agreed).toBeGreaterThan(40_000);
    expect(filterMatchesTopic(['campus', 'v1', '+', '+', 'telemetry'], 'campus/v1/s1/b1/telemetry')).toBe(true);
  });
});

describe('Acl', () => {
  const acl = new Acl(
    [
      { user: 'ops', topic: 'campus/v1/alarms/#', access: 'read' },
      { topic: 'clients/%c/#', access: 'readwrite' },
      { user: 'ops', topic: 'clients/ops-1/secret', access: 'deny' },
    ],
    registry,
  );
  it('lets a device write its own topics and read only its cmd topic', () => {
    expect(['event', 'telemetry', 'status'].map((l) => acl.canPublish(device, `campus/v1/s1/b1/${l}`))).toStrictEqual([true, true, true]);
    expect(acl.canPublish(device, 'campus/v1/s1/b1/cmd')).toBe(false);
    expect(acl.canPublish(device, 'campus/v1/s1/b2/event')).toBe(false);
    expect(acl.canPublish(device, 'campus/v1/s2/b1/event')).toBe(false);
    expect(acl.canSubscribe(device, 'campus/v1/s1/b1/cmd')).toBe(true);
    expect(acl.canSubscribe(device, 'campus/v1/s1/+/cmd')).toBe(false);
    expect(acl.canPublish(device, '$SYS/broker/x')).toBe(false);
  });
  it('applies user rules, %c patterns and deny precedence', () => {
    expect(acl.canSubscribe(integrator, 'campus/v1/alarms/#')).toBe(true);
    expect(acl.canPublish(integrator, 'campus/v1/alarms/x')).toBe(false);
    expect(acl.canSubscribe(integrator, 'clients/ops-1/a')).toBe(true);
    expect(acl.canSubscribe(integrator, 'clients/other/a')).toBe(false);
    expect(acl.canSubscribe(integrator, 'clients/ops-1/secret')).toBe(false);
    expect(acl.canPublish(integrator, 'clients/ops-1/secret')).toBe(false);
  });
});

describe('Acl for devices', () => {
  it('never widens a device beyond its own topics, while deny rules still narrow it', () => {
    const acl = new Acl(
      [
        { topic: 'clients/%c/#', access: 'readwrite' },
        { topic: '#', access: 'read' },
        { user: 'b1', topic: 'campus/v1/s1/b2/event', access: 'write' },
        { user: 'b1', topic: 'campus/v1/s1/b1/telemetry', access: 'deny' },
      ],
      registry,
    );
    expect(acl.canPublish(device, 'clients/b1/x')).toBe(false);
    expect(acl.canSubscribe(device, 'clients/b1/x')).toBe(false);
    expect(acl.canSubscribe(device, '#')).toBe(false);
    expect(acl.canSubscribe(device, 'campus/v1/alarms/#')).toBe(false);
    expect(acl.canSubscribe(device, 'campus/v1/s1/b1/#')).toBe(false);
    expect(acl.canSubscribe(device, 'campus/v1/s1/b1/event')).toBe(false);
    expect(acl.canPublish(device, 'campus/v1/s1/b2/event')).toBe(false);
    expect(acl.canPublish(device, 'campus/v1/s1/b1/telemetry')).toBe(false);
    expect(acl.canPublish(device, 'campus/v1/s1/b1/event')).toBe(true);
    expect(acl.canSubscribe(device, 'campus/v1/s1/b1/cmd')).toBe(true);
    // A device id the registry no longer knows gets nothing.
    expect(acl.canPublish({ username: 'gone', clientId: 'gone', kind: 'device' }, 'campus/v1/s1/gone/event')).toBe(false);
    // Users still get pattern grants.
    expect(acl.canSubscribe(integrator, 'clients/ops-1/x')).toBe(true);
  });
});

describe('Acl on delivery (canRead, ForwardCache)', () => {
  const rules = [
    { user: 'ops', topic: 'campus/#', access: 'readwrite' as const },
    { user: 'ops', topic: 'campus/v1/alarms/#', access: 'deny' as const },
  ];
  it('a deny narrower than the grant withholds its topics; the device reads only its cmd topic', () => {
    const acl = new Acl(rules, registry);
    expect(acl.canSubscribe(integrator, 'campus/#')).toBe(true);
    expect(acl.canRead(integrator, 'campus/v1/alarms/a1')).toBe(false);
    expect(acl.canRead(integrator, 'campus/v1/s1/b1/event')).toBe(true);
    expect(acl.canRead(integrator, 'other/x')).toBe(false);
    expect(acl.canRead(device, 'campus/v1/s1/b1/cmd')).toBe(true);
    expect(acl.canRead(device, 'campus/v1/s1/b2/cmd')).toBe(false);
    expect(acl.canRead(device, 'campus/v1/alarms/a1')).toBe(false);
  });
  it('remembers decisions per topic, bounded, and goes stale when the rules change', () => {
    const acl = new Acl(rules, registry);
    const cache = acl.forwardCache(integrator, 3);
    expect(cache.canRead('campus/v1/alarms/a1')).toBe(false);
    expect(cache.canRead('campus/v1/alarms/a1')).toBe(false);
    expect(cache.canRead('campus/v1/s1/b1/event')).toBe(true);
    expect([cache.hits, cache.misses]).toStrictEqual([1, 2]);
    for (const i of [1, 2, 3, 4, 5]) cache.canRead(`campus/v1/s1/b${i}/telemetry`);
    expect(cache.size).toBe(3);
    expect(cache.current).toBe(true);
    acl.setRules([{ user: 'ops', topic: 'campus/#', access: 'read' }]);
    expect(cache.current).toBe(false);
    expect(acl.forwardCache(integrator).canRead('campus/v1/alarms/a1')).toBe(true);
  });
  it('answers publish checks as the ACL does, for any number of topics, whatever the cache bound', () => {
    const service: Principal = { username: 'bridge', clientId: 'bridge-1', kind: 'user', role: 'service' };
    const acl = new Acl([{ user: 'bridge', topic: 'campus/v1/s2/#', access: 'deny' }], registry);
    // Allowed and denied topics interleaved, each asked twice, past the three kept in fields.
    const topics = Array.from({ length: 12 }, (_v, i) => `campus/v1/s${1 + (i % 2)}/d${i}/telemetry`);
    for (const bound of [1, 2, 3, 4, 8, 4096]) {
      const cache = acl.publishCache(service, bound);
      const answers = [...topics, ...topics, ...[...topics].reverse()].map((t) => [t, cache.canPublish(t)]);
      expect(answers).toStrictEqual([...topics, ...topics, ...[...topics].reverse()].map((t) => [t, acl.canPublish(service, t)]));
      expect(answers.filter(([, ok]) => ok).length).toBe(18);
    }
  });
  it('decides a device\'s publish on the topic itself exactly as canPublish does, unless a deny rule names it', () => {
    const site = (id: string) => ({ id, name: id, district: 'd', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] });
    const reg = new Registry([site('s1'), site('s10')], [
      { id: 'b1', siteId: 's1', kind: 'alarm-button', adapter: 'mqtt-native', name: 'b1', options: {} },
      { id: 'b10', siteId: 's10', kind: 'alarm-button', adapter: 'mqtt-native', name: 'b10', options: {} },
    ]);
    const who: Principal[] = [device, { username: 'b10', clientId: 'b10', kind: 'device' }, { username: 'ghost', clientId: 'ghost', kind: 'device' }];
    const topics = ['campus/v1/s1/b1/event', 'campus/v1/s1/b1/telemetry', 'campus/v1/s1/b1/status', 'campus/v1/s10/b10/event', 'campus/v1/s1/b1/cmd', 'campus/v1/s1/b10/event', 'campus/v1/s10/b1/event', 'campus/v1/s1/b1/eventx', 'campus/v1/s1/b1/even', 'campus/v1/s1/b1/event/', 'campus/v1/s1/b1/event/x', 'campus/v1/s1/b1', 'campus/v1/s1/b1/', 'campus/v1/s1b1/event', 'campus/v1/s1//b1/event', 'campus/v2/s1/b1/event', 'xcampus/v1/s1/b1/event', '$SYS/x', 'campus/v1/+/b1/event', 'campus/v1/s1/+/event', 'campus/v1/s1/b1/#', ''];
    const free = new Acl([{ user: 'ops', topic: 'campus/#', access: 'readwrite' }, { topic: 'clients/%c/#', access: 'readwrite' }], reg);
    for (const p of who) for (const t of topics) expect([p.username, t, free.devicePublish(p, t)]).toStrictEqual([p.username, t, free.canPublish(p, t)]);
    expect(topics.filter((t) => free.devicePublish(device, t))).toStrictEqual(['campus/v1/s1/b1/event', 'campus/v1/s1/b1/telemetry', 'campus/v1/s1/b1/status']);
    // Not a device, or a deny rule that reaches it: the caller asks the cached canPublish.
    expect(free.devicePublish(integrator, 'campus/v1/s1/b1/event')).toBeUndefined();
    const named = new Acl([{ user: 'b1', topic: 'campus/v1/s1/b1/telemetry', access: 'deny' }], reg);
    expect(named.devicePublish(device, 'campus/v1/s1/b1/event')).toBeUndefined();
    expect(named.devicePublish(who[1] as Principal, 'campus/v1/s10/b10/event')).toBe(true);
    const all = new Acl([], reg);
    expect(all.devicePublish(device, 'campus/v1/s1/b1/telemetry')).toBe(true);
    all.setRules([{ topic: 'campus/v1/+/+/telemetry', access: 'deny' }]);
    expect(all.devicePublish(device, 'campus/v1/s1/b1/telemetry')).toBeUndefined();
    expect(all.publishCache(device).canPublish('campus/v1/s1/b1/telemetry')).toBe(false);
    expect(isDeviceLeafTopic('campus/v1/s1/b1/status', 's1', 'b1')).toBe(true);
  });
  it('remembers publish decisions per connection; stale when the rules change or the device entry is replaced', () => {
    const site = { id: 's1', name: 's1', district: 'd', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] };
    const reg = new Registry([site], [{ id: 'b1', siteId: 's1', kind: 'alarm-button', adapter: 'mqtt-native', name: 'b1', options: {} }]);
    const acl = new Acl([], reg);
    const cache = acl.publishCache(device);
    expect(cache.canPublish('campus/v1/s1/b1/telemetry')).toBe(true);
    expect(cache.canPublish('campus/v1/s1/b1/telemetry')).toBe(true);
    expect(cache.canPublish('campus/v1/s1/b1/cmd')).toBe(false);
    expect(cache.current).toBe(true);
    acl.setRules([{ topic: 'campus/v1/+/+/telemetry', access: 'deny' }]);
    expect(cache.current).toBe(false);
    const next = acl.publishCache(device);
    expect(next.canPublish('campus/v1/s1/b1/telemetry')).toBe(false);
    expect(next.canPublish('campus/v1/s1/b1/event')).toBe(true);
    reg.add('mqtt-native', { id: 'b1', siteId: 's1', kind: 'alarm-button', name: 'b1 renamed' });
    expect(next.current).toBe(false);
  });
});
