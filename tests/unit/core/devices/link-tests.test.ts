/**
 * Link tests in cluster mode: the node holding the 110 link records a button's test and
 * announces it; the other nodes adopt announcements and read the rest from the state store,
 * the newer test winning either way (an announcement that arrives while the store is being read
 * is not undone by the older row).
 */
import { describe, expect, it } from 'vitest';
import type { DeviceRegistry } from '../../../../gateway/contract/adapter.js';
import { systemClock } from '../../../../gateway/contract/clock.js';
import type { HealthTracker } from '../../../../gateway/core/devices/health.js';
import { LinkTestMonitor, parseAnnouncedTest, type LinkTest } from '../../../../gateway/core/devices/link-tests.js';
import type { DeviceStateRepository } from '../../../../gateway/core/devices/state.js';

/** The state store's device state in memory; `gate` holds a read until released. */
class MemoryRepo implements DeviceStateRepository {
  readonly rows = new Map<string, Map<string, unknown>>();
  gate?: Promise<void>;
  async setDeviceState(deviceId: string, key: string, value: unknown): Promise<void> {
    const byDevice = this.rows.get(key) ?? new Map<string, unknown>();
    byDevice.set(deviceId, JSON.parse(JSON.stringify(value)));
    this.rows.set(key, byDevice);
  }
  async setDeviceStates(key: string, values: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
    for (const [id, v] of values) await this.setDeviceState(id, key, v);
  }
  async deviceStates<T>(key: string): Promise<Map<string, T>> {
    const snapshot = new Map(this.rows.get(key) ?? []) as Map<string, T>;
    await this.gate;
    return snapshot;
  }
}

/** Only what record() touches of the health tracker: the conditions it set. */
function conditions(): { health: HealthTracker; set: [string, string, boolean][] } {
  const set: [string, string, boolean][] = [];
  return { health: { setCondition: (id: string, code: string, on: boolean) => void set.push([id, code, on]) } as unknown as HealthTracker, set };
}

const noDevices = { list: () => [], get: () => undefined } as unknown as DeviceRegistry;

describe('LinkTestMonitor across nodes', () => {
  it('announces a recorded test once it is kept, and a node that adopts it shows it without touching health', async () => {
    const repo = new MemoryRepo();
    const holder = conditions();
    const recorder = new LinkTestMonitor(noDevices, holder.health, repo, systemClock, 7);
    const announced: [string, LinkTest][] = [];
    recorder.announceWith((id, test) => {
      // Announced after the store has it: a node reading the store meanwhile finds it too.
      expect(repo.rows.get('linkTest')?.get(id)).toStrictEqual(test);
      announced.push([id, test]);
    });
    await recorder.record('btn-1', { at: 1_000, latencyMs: 12.5, receiver: 'primary' });
    expect(announced).toStrictEqual([['btn-1', { at: 1_000, latencyMs: 12.5, receiver: 'primary' }]]);
    expect(holder.set).toStrictEqual([['btn-1', 'not-linked-110', false]]);

    const other = conditions();
    const follower = new LinkTestMonitor(noDevices, other.health, repo, systemClock, 7);
    const wire = parseAnnouncedTest(JSON.stringify({ deviceId: 'btn-1', ...announced[0]?.[1] }));
    expect(wire).toStrictEqual({ deviceId: 'btn-1', test: { at: 1_000, latencyMs: 12.5, receiver: 'primary' } });
    follower.adopt(wire?.deviceId ?? '', wire?.test as LinkTest);
    expect(follower.last('btn-1')).toStrictEqual({ at: 1_000, latencyMs: 12.5, receiver: 'primary' });
    // An older announcement (out of order) does not replace a newer test.
    follower.adopt('btn-1', { at: 500, latencyMs: 99 });
    expect(follower.last('btn-1')?.at).toBe(1_000);
    expect(other.set).toStrictEqual([]);
  });

  it('reads the store at start and merges: a test adopted while the store was being read stays', async () => {
    const repo = new MemoryRepo();
    await repo.setDeviceState('btn-1', 'linkTest', { at: 1_000, latencyMs: 10 });
    await repo.setDeviceState('btn-2', 'linkTest', { at: 2_000, latencyMs: 20 });
    const node = new LinkTestMonitor(noDevices, conditions().health, repo, systemClock, 7);
    let release: () => void = () => undefined;
    repo.gate = new Promise((r) => (release = r));
    const loading = node.load();
    // Announced while the read is in flight: newer than the row the read returns.
    node.adopt('btn-1', { at: 3_000, latencyMs: 30 });
    release();
    await loading;
    expect(node.last('btn-1')).toStrictEqual({ at: 3_000, latencyMs: 30 });
    expect(node.last('btn-2')).toStrictEqual({ at: 2_000, latencyMs: 20 });
    expect(node.last('btn-3')).toBeUndefined();
  });

  it('refuses announcements that are not link tests', () => {
    for (const bad of ['', 'not json', 'null', '[]', '{}', '{"deviceId":"","at":1,"latencyMs":1}', '{"deviceId":"b","at":"1","latencyMs":1}', '{"deviceId":"b","at":1}', '{"deviceId":"b","at":1,"latencyMs":1,"receiver":7}', '{"deviceId":"b","at":1e999,"latencyMs":1}']) {
      expect(parseAnnouncedTest(bad), bad).toBeUndefined();
    }
    expect(parseAnnouncedTest('{"deviceId":"b","at":1,"latencyMs":2,"extra":true}')).toStrictEqual({ deviceId: 'b', test: { at: 1, latencyMs: 2 } });
  });
});
