/**
 * One behaviour suite for every StateStore (after MQTT.js's abstract_store): SQLite and
 * PostgreSQL each call stateStoreContract() with a harness. The stores share one database per
 * test file, as a deployment does: each test keeps to its own sites, channels and actors.
 *
 * Two instances over one database stand for two gateway nodes (or one node before and after a
 * restart): what they do at once must come out as if done one after the other.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alarm, AlarmEntry } from '../../gateway/contract/types.js';
import { forwardQueuedEntry, type OutboxEntry, type OutboxRequest } from '../../gateway/core/alarms/outbox.js';
import type { NewAlarmWrites } from '../../gateway/core/alarms/repository.js';
import type { Broadcast, BroadcastRecipient } from '../../gateway/core/broadcast/types.js';
import type { Drill } from '../../gateway/core/drills/types.js';
import type { SweepContext, SweepRecord, SweepResult } from '../../gateway/core/sweeps/types.js';
import { lockoutAfterFailure } from '../../gateway/auth/lockout.js';
import { sweepReport, verifySweepChain } from '../../gateway/reports/sweep-reports.js';
import type { StateStore } from '../../gateway/store/stores.js';

export interface StateStoreHarness {
  store: StateStore;
  /** Another instance over the same database: a second node, or this one after a restart. */
  another(): Promise<StateStore>;
  /** Sets the last sequence number a channel handed out (to reach the wrap without 9999 entries). */
  setChannelSequence(channel: string, last: number): Promise<void>;
  /** Closes every instance and removes the database. */
  dispose(): Promise<void>;
}

export type MakeStateStore = () => Promise<StateStoreHarness>;

const T = Date.UTC(2026, 10, 23, 0, 30);
let n = 0;
/** Names no other test of the file uses. */
const uid = (prefix: string) => `${prefix}-${++n}-${randomUUID().slice(0, 8)}`;

function alarm(siteId: string, over: Partial<Alarm> = {}): Alarm {
  return {
    id: randomUUID(),
    type: 'panic',
    severity: 'critical',
    siteId,
    deviceId: `${siteId}-btn-1`,
    state: 'active',
    raisedAt: T,
    updatedAt: T,
    repeats: 0,
    drill: false,
    summary: '第一中学 · 门卫室 · 一键报警',
    timeline: [{ at: T, action: 'raised', by: `${siteId}-btn-1`, data: { zone: 1 } }],
    ...over,
  };
}

/** Without a device: a site-level alarm (no deviceId key at all). */
function siteAlarm(siteId: string, over: Partial<Alarm> = {}): Alarm {
  const { deviceId: _d, ...rest } = alarm(siteId, over);
  return rest;
}

const note = (action: string, at = T + 1): AlarmEntry => ({ at, action, by: 'system' });
const withEntry = (a: Alarm, e: AlarmEntry, state: Alarm['state'] = a.state): Alarm => ({ ...a, state, updatedAt: e.at, timeline: [...a.timeline, e] });

function reportRequest(a: Alarm, channel: string, over: Partial<OutboxRequest> = {}): OutboxRequest {
  return { id: randomUUID(), channel, kind: 'alarm-report', alarmId: a.id, ...(a.deviceId ? { deviceId: a.deviceId } : {}), siteId: a.siteId, createdAt: T, ...over };
}

/** What the forwarder commits with a new alarm: its entry, and a timeline entry saying so. */
function forwarded(requests: OutboxRequest[]): NewAlarmWrites {
  return {
    outbox: requests,
    complete: (a, queued) => ({ ...a, timeline: [...a.timeline, ...queued.map((q) => ({ at: a.updatedAt, ...forwardQueuedEntry(q) }))] }),
  };
}

function recipient(i: number, over: Partial<BroadcastRecipient> = {}): BroadcastRecipient {
  return { id: `r${i}`, name: `巡逻${i}`, phone: `1380571900${i}`, group: 'station-patrol', channels: ['sms'], channel: 'sms', address: `1380571900${i}`, state: 'queued', at: { queued: T }, attempts: [], ...over };
}

function broadcast(over: Partial<Broadcast> = {}): Broadcast {
  const recipients = [recipient(1), recipient(2), recipient(3)];
  return {
    id: randomUUID(),
    drill: false,
    text: '【城东区校园安全】一键报警，请就近赶赴。',
    createdBy: 'system',
    createdAt: T,
    state: 'open',
    closesAt: T + 1_800_000,
    groups: ['station-patrol'],
    channels: ['sms'],
    fallbackAfterSeconds: 10,
    fallbackUnless: 'delivered',
    tally: { total: 3, sent: 0, delivered: 0, confirmed: 0, failed: 0 },
    recipients,
    ...over,
  };
}

function sweepRecord(id: string, createdAt = T): SweepRecord {
  return { id, trigger: 'api', state: 'running', createdAt, total: 3, selection: { sites: ['s01'] }, options: { concurrency: 2, timeoutMs: 15_000, extras: [] } };
}

const CONTEXT: SweepContext = {
  district: { id: 'd1', name: '城东区' },
  sites: [{ id: 's01', name: '第一中学', nameEn: 'No. 1 Middle School' }],
  devices: { 's01-btn-1': { name: '门卫室按钮', adapter: 'mqtt-native' } },
};

function sweepResult(deviceId: string, over: Partial<SweepResult> = {}): SweepResult {
  return { deviceId, siteId: 's01', kind: 'alarm-button', status: 'ok', reasons: [], evidence: {}, method: 'passive', startedAt: T + 1000, durationMs: 3, ...over };
}

const SUMMARY = { total: 3, done: 3, ok: 2, failing: 1, byStatus: { ok: 2, degraded: 1, offline: 0, unknown: 0 }, sites: { total: 1, failing: 1 }, bySite: [], byReason: [] };

export function stateStoreContract(name: string, make: MakeStateStore): void {
  describe(`StateStore contract: ${name}`, () => {
    let h: StateStoreHarness;
    let store: StateStore;
    beforeAll(async () => {
      h = await make();
      store = h.store;
    });
    afterAll(async () => {
      await h?.dispose();
    });

    describe('alarms', () => {
      it('raises a new alarm, folds a raise of the same (type, site, device, drill) into it, keeps drills, devices and resolved ones apart', async () => {
        const site = uid('site');
        const first = alarm(site);
        expect(await store.raiseAlarm(first)).toStrictEqual({ alarm: first, version: 0, created: true, queued: [] });
        // The same button again: one more repeat of the open alarm, whatever the candidate's id.
        const again = await store.raiseAlarm(alarm(site, { updatedAt: T + 5000, summary: 'ignored' }));
        expect(again).toStrictEqual({ alarm: { ...first, repeats: 1, updatedAt: T + 5000 }, version: 1, created: false, queued: [] });
        const drill = alarm(site, { drill: true });
        expect((await store.raiseAlarm(drill)).created).toBe(true);
        const other = alarm(site, { deviceId: `${site}-btn-2` });
        expect((await store.raiseAlarm(other)).created).toBe(true);
        const siteLevel = siteAlarm(site, { type: 'link-down', severity: 'critical' });
        expect(await store.raiseAlarm(siteLevel)).toMatchObject({ created: true, alarm: siteLevel });
        expect(await store.raiseAlarm(siteAlarm(site, { type: 'link-down', severity: 'critical', updatedAt: T + 1 }))).toMatchObject({ created: false, alarm: { id: siteLevel.id, repeats: 1 } });
        // Resolved: the next press is a new alarm.
        await store.updateAlarm(first.id, (a) => withEntry(a, note('resolved', T + 6000), 'resolved'));
        const next = alarm(site, { raisedAt: T + 7000, updatedAt: T + 7000 });
        expect(await store.raiseAlarm(next)).toStrictEqual({ alarm: next, version: 0, created: true, queued: [] });
        expect(await store.getAlarm(first.id)).toMatchObject({ alarm: { state: 'resolved', repeats: 1 }, version: 2 });
      });

      it('commits a new alarm with its outbox entries and completes its timeline; a repeat queues nothing', async () => {
        const site = uid('site');
        const channel = uid('ch');
        const a = alarm(site);
        const request = reportRequest(a, channel);
        const raised = await store.raiseAlarm(a, forwarded([request]));
        const entry: OutboxEntry = {
          id: request.id, channel, kind: 'alarm-report', alarmId: a.id, deviceId: a.deviceId as string, siteId: site,
          sequence: 1, state: 'queued', attempts: 0, createdAt: T, nextAt: T,
        };
        const completed = { ...a, timeline: [...a.timeline, { at: T, action: 'forward-queued', by: 'system', data: { channel, sequence: 1 } }] };
        expect(raised).toStrictEqual({ alarm: completed, version: 0, created: true, queued: [entry] });
        expect(await store.getAlarm(a.id)).toStrictEqual({ alarm: completed, version: 0 });
        expect(await store.outbox.pending(channel)).toStrictEqual([entry]);
        // Another node raises it again: a repeat, and its entry never makes a second report.
        const other = await h.another();
        const repeat = await other.raiseAlarm(alarm(site, { updatedAt: T + 10 }), forwarded([reportRequest(a, channel)]));
        expect(repeat).toMatchObject({ created: false, queued: [], alarm: { id: a.id, repeats: 1 } });
        expect(await store.outbox.pending(channel)).toStrictEqual([entry]);
      });

      it('applies a change with compare-and-set: one made on an older copy is applied again to the stored one', async () => {
        const a = alarm(uid('site'));
        const raised = await store.raiseAlarm(a);
        const acked = await store.updateAlarm(a.id, (x) => withEntry(x, { at: T + 10, action: 'acknowledged', by: '值班员', note: '已出警' }, 'acknowledged'), raised);
        expect(acked).toStrictEqual({ alarm: withEntry(a, { at: T + 10, action: 'acknowledged', by: '值班员', note: '已出警' }, 'acknowledged'), version: 1, changed: true });
        // A caller still holding version 0 adds a note: the acknowledgement stays.
        const noted = await store.updateAlarm(a.id, (x) => withEntry(x, note('forward-acked', T + 20)), raised);
        expect(noted?.version).toBe(2);
        expect(noted?.alarm.state).toBe('acknowledged');
        expect(noted?.alarm.timeline.map((e) => e.action)).toStrictEqual(['raised', 'acknowledged', 'forward-acked']);
        expect(await store.getAlarm(a.id)).toStrictEqual({ alarm: noted?.alarm, version: 2 });
        // Nothing to change: the alarm as it is.
        expect(await store.updateAlarm(a.id, () => undefined)).toStrictEqual({ alarm: noted?.alarm, version: 2, changed: false });
        // A refused change writes nothing.
        await expect(
          store.updateAlarm(a.id, (x) => {
            if (x.state !== 'active') throw new Error(`alarm is ${x.state}`);
            return x;
          }),
        ).rejects.toThrow('alarm is acknowledged');
        expect((await store.getAlarm(a.id))?.version).toBe(2);
        expect(await store.updateAlarm(randomUUID(), (x) => x)).toBeUndefined();
      });

      it('reads open alarms oldest first and queries by state, site and limit, newest first', async () => {
        const [s1, s2] = [uid('site'), uid('site')];
        const old = alarm(s1, { raisedAt: T - 3000, updatedAt: T - 3000 });
        const mid = alarm(s2, { raisedAt: T - 2000, updatedAt: T - 2000 });
        const young = alarm(s1, { type: 'tamper', severity: 'major', raisedAt: T - 1000, updatedAt: T - 1000 });
        for (const a of [young, old, mid]) await store.raiseAlarm(a);
        await store.updateAlarm(mid.id, (x) => withEntry(x, note('acknowledged'), 'acknowledged'));
        await store.updateAlarm(young.id, (x) => withEntry(x, note('resolved'), 'resolved'));
        const mine = new Set([old.id, mid.id, young.id]);
        expect((await store.openAlarms()).filter((s) => mine.has(s.alarm.id)).map((s) => [s.alarm.id, s.alarm.state, s.version])).toStrictEqual([
          [old.id, 'active', 0],
          [mid.id, 'acknowledged', 1],
        ]);
        const ids = (as: Alarm[]) => as.map((a) => a.id);
        expect(ids(await store.queryAlarms({ siteIds: [s1, s2] }))).toStrictEqual([young.id, mid.id, old.id]);
        expect(ids(await store.queryAlarms({ siteIds: [s1, s2], state: 'open' }))).toStrictEqual([mid.id, old.id]);
        expect(ids(await store.queryAlarms({ siteIds: [s1, s2], state: 'resolved' }))).toStrictEqual([young.id]);
        expect(ids(await store.queryAlarms({ siteIds: [s1] }))).toStrictEqual([young.id, old.id]);
        expect(ids(await store.queryAlarms({ siteIds: [s1, s2], limit: 2 }))).toStrictEqual([young.id, mid.id]);
        expect(await store.queryAlarms({ siteIds: [] })).toStrictEqual([]);
        expect((await store.queryAlarms({ state: 'active' })).every((a) => a.state === 'active')).toBe(true);
      });

      it('two instances raising the same alarm at once end with one alarm, every press counted, one outbox entry', async () => {
        const site = uid('site');
        const channel = uid('ch');
        const other = await h.another();
        const raises = Array.from({ length: 20 }, (_, i) => {
          const a = alarm(site, { updatedAt: T + i });
          return (i % 2 ? other : store).raiseAlarm(a, forwarded([reportRequest(a, channel)]));
        });
        const outcomes = await Promise.all(raises);
        expect(outcomes.filter((o) => o.created)).toHaveLength(1);
        const [open] = await store.queryAlarms({ siteIds: [site] });
        expect((await store.queryAlarms({ siteIds: [site] })).length).toBe(1);
        expect(open?.repeats).toBe(19);
        expect(new Set(outcomes.map((o) => o.version)).size).toBe(20);
        expect((await store.getAlarm(open?.id ?? ''))?.version).toBe(19);
        const pending = await store.outbox.pending(channel);
        expect(pending.map((e) => [e.alarmId, e.sequence])).toStrictEqual([[open?.id, 1]]);
      });

      it('two instances adding notes to one alarm at once keep every note', async () => {
        const a = alarm(uid('site'));
        const raised = await store.raiseAlarm(a);
        const other = await h.another();
        // Everyone starts from the copy they were given at the raise: all but one must re-apply.
        const notes = Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).updateAlarm(a.id, (x) => withEntry(x, note(`note-${i}`, T + i)), raised));
        const out = await Promise.all(notes);
        expect(out.every((o) => o?.changed)).toBe(true);
        const final = await store.getAlarm(a.id);
        expect(final?.version).toBe(20);
        expect(final?.alarm.timeline.map((e) => e.action).sort()).toStrictEqual(['raised', ...Array.from({ length: 20 }, (_, i) => `note-${i}`)].sort());
      });
    });

    describe('audit log', () => {
      it('appends a hash chain, pages and filters it, finds the last of an action, and verifies it', async () => {
        const actor = uid('actor');
        const before = await store.auditCount();
        const e1 = await store.audit({ at: T, actor, action: 'alarm.acknowledge', target: 'a1', detail: { note: '已出警', n: 1 }, ip: '10.0.0.9' });
        const e2 = await store.audit({ at: T + 1, actor, action: 'alarm.resolve', target: 'a1', detail: {} });
        const e3 = await store.audit({ at: T + 2, actor, action: 'alarm.acknowledge', target: 'a2', detail: { nested: { b: 2, a: 1 } } });
        expect(e2.prevHash).toBe(e1.hash);
        expect(e3.prevHash).toBe(e2.hash);
        expect([e1.seq < e2.seq, e2.seq < e3.seq]).toStrictEqual([true, true]);
        expect(await store.auditCount()).toBe(before + 3);
        expect(await store.auditEntries({ actor })).toStrictEqual([e1, e2, e3]);
        expect(await store.auditEntries({ actor, action: 'alarm.acknowledge' })).toStrictEqual([e1, e3]);
        expect(await store.auditEntries({ afterSeq: e1.seq, limit: 1 })).toStrictEqual([e2]);
        expect(await store.lastAuditOf('alarm.acknowledge')).toStrictEqual(e3);
        expect(await store.lastAuditOf(uid('never'))).toBeUndefined();
        // Whatever a caller sends as a name (a hostile login): kept, and the chain still holds.
        const odd = await store.audit({ at: T + 3, actor: `${actor}\u0000x`, action: 'auth.login-failed', target: 'a\u0000', detail: { reason: 'unknown-user\u0000' } });
        expect(await store.auditEntries({ afterSeq: odd.seq - 1, limit: 1 })).toStrictEqual([odd]);
        expect(await store.verifyAudit()).toBeUndefined();
        // A restart reads the same chain and appends to it.
        const other = await h.another();
        const e4 = await other.audit({ at: T + 4, actor, action: 'user.create', target: 'u', detail: {} });
        expect(e4.prevHash).toBe((await store.auditEntries({ afterSeq: e4.seq - 1, limit: 1 }))[0]?.prevHash);
        expect(await other.verifyAudit()).toBeUndefined();
      });

      it('two instances appending at once keep one unbroken chain', async () => {
        const actor = uid('actor');
        const other = await h.another();
        const before = await store.auditCount();
        await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? other : store).audit({ at: T + i, actor, action: 'broadcast.send', target: `b${i}`, detail: { i } })));
        expect(await store.auditCount()).toBe(before + 30);
        expect(await store.verifyAudit()).toBeUndefined();
        const all = await store.auditEntries({ limit: 100_000 });
        expect(all.every((e, i) => i === 0 || e.prevHash === all[i - 1]?.hash)).toBe(true);
        expect((await store.auditEntries({ actor })).map((e) => e.detail.i).sort((x, y) => Number(x) - Number(y))).toStrictEqual(Array.from({ length: 30 }, (_, i) => i));
      });
    });

    describe('outbox', () => {
      it('numbers each channel from 1, queues an alarm once per channel, lists alarm reports before tests, then oldest first', async () => {
        const [c1, c2] = [uid('ch'), uid('ch')];
        const a = alarm(uid('site'));
        const test = await store.outbox.enqueue({ id: randomUUID(), channel: c1, kind: 'test-report', deviceId: 'd1', siteId: 's1', createdAt: T });
        const r1 = await store.outbox.enqueue(reportRequest(a, c1, { createdAt: T + 10 }));
        const r2 = await store.outbox.enqueue(reportRequest(alarm(uid('site')), c1, { createdAt: T + 5 }));
        expect([test.sequence, r1.sequence, r2.sequence]).toStrictEqual([1, 2, 3]);
        expect(test).toStrictEqual({ id: test.id, channel: c1, kind: 'test-report', deviceId: 'd1', siteId: 's1', sequence: 1, state: 'queued', attempts: 0, createdAt: T, nextAt: T });
        // The same alarm again on the same channel: the entry it has (and its number).
        expect(await store.outbox.enqueue(reportRequest(a, c1, { createdAt: T + 99 }))).toStrictEqual(r1);
        expect((await store.outbox.enqueue(reportRequest(a, c2))).sequence).toBe(1);
        expect((await store.outbox.enqueue({ id: randomUUID(), channel: c1, kind: 'test-report', siteId: 's1', createdAt: T + 1 })).sequence).toBe(4);
        expect(await store.outbox.forAlarm(c1, a.id)).toStrictEqual(r1);
        expect(await store.outbox.forAlarm(c1, randomUUID())).toBeUndefined();
        expect((await store.outbox.pending(c1)).map((e) => e.sequence)).toStrictEqual([3, 2, 1, 4]);
        expect(await store.outbox.get(r1.id)).toStrictEqual(r1);
        expect(await store.outbox.get(randomUUID())).toBeUndefined();
      });

      it('records failed attempts, an acknowledgement and an abandonment', async () => {
        const c = uid('ch');
        const a = await store.outbox.enqueue(reportRequest(alarm(uid('site')), c));
        const b = await store.outbox.enqueue(reportRequest(alarm(uid('site')), c, { createdAt: T + 1 }));
        await store.outbox.markFailed(a.id, T + 5000, 'no ACK from 10.0.0.1:12110');
        await store.outbox.markFailed(a.id, T + 9000, 'NAK');
        expect(await store.outbox.get(a.id)).toStrictEqual({ ...a, attempts: 2, nextAt: T + 9000, lastError: 'NAK' });
        await store.outbox.markAcked(a.id);
        expect(await store.outbox.get(a.id)).toStrictEqual({ ...a, attempts: 3, nextAt: T + 9000, state: 'acked' });
        await store.outbox.abandon(b.id, 'site no longer configured');
        expect(await store.outbox.get(b.id)).toStrictEqual({ ...b, state: 'abandoned', lastError: 'site no longer configured' });
        expect(await store.outbox.pending(c)).toStrictEqual([]);
      });

      it('wraps the sequence after 9999 to 1 (SIA DC-09 5.5.1.5)', async () => {
        const c = uid('ch');
        await store.outbox.enqueue({ id: randomUUID(), channel: c, kind: 'test-report', siteId: 's', createdAt: T });
        await h.setChannelSequence(c, 9998);
        const seq = async () => (await store.outbox.enqueue({ id: randomUUID(), channel: c, kind: 'test-report', siteId: 's', createdAt: T })).sequence;
        expect([await seq(), await seq(), await seq()]).toStrictEqual([9999, 1, 2]);
      });

      it('two instances enqueueing on one channel at once never hand out a number twice', async () => {
        const c = uid('ch');
        const other = await h.another();
        const entries = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).outbox.enqueue(reportRequest(alarm(uid('site')), c, { createdAt: T + i }))),
        );
        expect(entries.map((e) => e.sequence).sort((x, y) => x - y)).toStrictEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      });
    });

    describe('broadcasts', () => {
      it('keeps a broadcast with its recipients in order, a recipient with the tally, the close, and finds them by alarm and state', async () => {
        const alarmId = randomUUID();
        const b = broadcast({ alarmId, siteId: 's01', policyId: 'panic' });
        await store.broadcasts.insertBroadcast(b);
        expect(await store.broadcasts.getBroadcast(b.id)).toStrictEqual(b);
        expect(await store.broadcasts.hasBroadcastForAlarm(alarmId)).toBe(true);
        expect(await store.broadcasts.hasBroadcastForAlarm(randomUUID())).toBe(false);
        const delivered = recipient(2, { state: 'delivered', at: { queued: T, sent: T + 1, delivered: T + 2 } });
        const tally = { total: 3, sent: 1, delivered: 1, confirmed: 0, failed: 0 };
        await store.broadcasts.updateRecipient(b.id, delivered, tally);
        expect(await store.broadcasts.getBroadcast(b.id)).toStrictEqual({ ...b, tally, recipients: [recipient(1), delivered, recipient(3)] });
        const open = await store.broadcasts.openBroadcasts();
        expect(open.find((x) => x.id === b.id)).toStrictEqual({ ...b, tally, recipients: [recipient(1), delivered, recipient(3)] });
        const { recipients: _r, ...summary } = b;
        const closed = { ...summary, tally, state: 'closed' as const, closedAt: T + 60_000 };
        await store.broadcasts.updateBroadcast(closed);
        expect(await store.broadcasts.listBroadcasts({ alarmId })).toStrictEqual([closed]);
        expect((await store.broadcasts.openBroadcasts()).some((x) => x.id === b.id)).toBe(false);
        expect((await store.broadcasts.listBroadcasts({ state: 'closed', limit: 1000 })).some((x) => x.id === b.id)).toBe(true);
        expect((await store.broadcasts.listBroadcasts({ state: 'open', limit: 1000 })).some((x) => x.id === b.id)).toBe(false);
        // Newest first, within the limit.
        const later = broadcast({ alarmId, createdAt: T + 1000, recipients: [] , tally: { total: 0, sent: 0, delivered: 0, confirmed: 0, failed: 0 } });
        await store.broadcasts.insertBroadcast(later);
        expect((await store.broadcasts.listBroadcasts({ alarmId })).map((x) => x.id)).toStrictEqual([later.id, b.id]);
        expect((await store.broadcasts.listBroadcasts({ alarmId, limit: 1 })).map((x) => x.id)).toStrictEqual([later.id]);
        expect(await store.broadcasts.getBroadcast(randomUUID())).toBeUndefined();
      });
    });

    describe('sweeps and the report chain', () => {
      it('records a sweep and its results in completion order, seals it into the chain, and refuses changes after', async () => {
        const id = uid('sw');
        await store.sweeps.create(sweepRecord(id), CONTEXT);
        expect((await store.sweeps.running()).map((s) => s.id)).toContain(id);
        const results = [sweepResult('s01-btn-3'), sweepResult('s01-btn-1', { status: 'offline', reasons: [{ code: 'no-heartbeat', detail: '100 s' }] }), sweepResult('s01-btn-2')];
        for (const r of results) await store.sweeps.addResult(id, r);
        expect(await store.sweeps.results(id)).toStrictEqual(results);
        expect(await store.sweeps.results(id, { failingOnly: true })).toStrictEqual([results[1]]);
        expect(await store.sweeps.resultCount(id)).toBe(3);
        expect(await store.sweeps.context(id)).toStrictEqual(CONTEXT);
        expect(await store.sweeps.link(id)).toBeUndefined();
        const [head] = (await store.sweeps.linksAfter(0, 100_000)).slice(-1);
        const link = await store.sweeps.finish(id, { state: 'done', finishedAt: T + 5000, summary: SUMMARY });
        expect(link).toMatchObject({ seq: (head?.seq ?? 0) + 1, sweepId: id, sealedAt: T + 5000, prevHash: head?.hash ?? '0'.repeat(64) });
        expect(await store.sweeps.link(id)).toStrictEqual(link);
        expect(await store.sweeps.get(id)).toStrictEqual({ ...sweepRecord(id), state: 'done', finishedAt: T + 5000, summary: SUMMARY });
        expect((await store.sweeps.running()).map((s) => s.id)).not.toContain(id);
        await expect(store.sweeps.finish(id, { state: 'cancelled', finishedAt: T + 6000, summary: SUMMARY })).rejects.toThrow(`sweep ${id} is not running`);
        await expect(store.sweeps.addResult(id, sweepResult('s01-btn-9'))).rejects.toThrow('sweep report is sealed');
        expect((await sweepReport(store.sweeps, id))?.integrity).toMatchObject({ ...link, algorithm: 'sha256' });
        expect(await verifySweepChain(store.sweeps)).toMatchObject({ ok: true });
        // Cancelled with a reason, newest first in the list.
        const later = uid('sw');
        await store.sweeps.create(sweepRecord(later, T + 10_000), CONTEXT);
        await store.sweeps.finish(later, { state: 'cancelled', finishedAt: T + 11_000, summary: SUMMARY, cancelReason: 'technician went home' });
        expect(await store.sweeps.get(later)).toMatchObject({ state: 'cancelled', cancelReason: 'technician went home' });
        const listed = (await store.sweeps.list(500)).map((s) => s.id);
        expect(listed.indexOf(later)).toBeLessThan(listed.indexOf(id));
        expect(await store.sweeps.get(uid('none'))).toBeUndefined();
      });

      it('two instances sealing at once keep one unbroken chain', async () => {
        const other = await h.another();
        const ids = Array.from({ length: 8 }, () => uid('sw'));
        for (const id of ids) {
          await store.sweeps.create(sweepRecord(id), CONTEXT);
          await store.sweeps.addResult(id, sweepResult('s01-btn-1'));
        }
        const links = await Promise.all(ids.map((id, i) => (i % 2 ? other : store).sweeps.finish(id, { state: 'done', finishedAt: T + i, summary: SUMMARY })));
        const all = await store.sweeps.linksAfter(0, 100_000);
        expect(all.every((l, i) => l.seq === i + 1 && (i === 0 || l.prevHash === all[i - 1]?.hash))).toBe(true);
        expect(new Set(links.map((l) => l.seq)).size).toBe(8);
        expect(await verifySweepChain(store.sweeps)).toMatchObject({ ok: true });
      });
    });

    describe('drills', () => {
      it('keeps drills by school, newest first, and the running ones', async () => {
        const site = uid('site');
        const drill: Drill = { id: randomUUID(), siteId: site, startedAt: T, endsAt: T + 1_800_000, startedBy: '值班员李', state: 'running', alarmIds: [] };
        const second: Drill = { ...drill, id: randomUUID(), startedAt: T + 3_600_000, endsAt: T + 5_400_000 };
        await store.drills.saveDrill(drill);
        await store.drills.saveDrill({ ...drill, alarmIds: ['a1'] });
        expect(await store.drills.getDrill(drill.id)).toStrictEqual({ ...drill, alarmIds: ['a1'] });
        const ended: Drill = { ...drill, alarmIds: ['a1'], state: 'ended', endedAt: T + 600_000, endedBy: 'system', report: { alarms: [{ alarmId: 'a1', type: 'panic', raisedAt: T + 1, to110AckMs: 80, broadcasts: [] }] } };
        await store.drills.saveDrill(ended);
        await store.drills.saveDrill(second);
        expect(await store.drills.listDrills(site)).toStrictEqual([second, ended]);
        const running = (await store.drills.runningDrills()).filter((d) => d.siteId === site);
        expect(running).toStrictEqual([second]);
        expect((await store.drills.listDrills()).some((d) => d.id === second.id)).toBe(true);
        expect(await store.drills.getDrill(randomUUID())).toBeUndefined();
      });
    });

    describe('operators, sessions and lockouts', () => {
      it('keeps operators added at runtime, sessions valid on every instance until revoked or expired', async () => {
        const username = uid('user');
        const op = { username, role: 'school' as const, passwordHash: 'scrypt$x', school: 's01', displayName: '门卫 张' };
        await store.auth.addOperator(op, T);
        expect(await store.auth.operator(username)).toStrictEqual({ ...op, createdAt: T });
        expect((await store.auth.operators()).find((o) => o.username === username)).toStrictEqual({ ...op, createdAt: T });
        await store.auth.updateOperator({ ...op, role: 'technician', school: undefined } as never, T + 5);
        const changed = await store.auth.operator(username);
        expect([changed?.role, changed?.disabledAt]).toStrictEqual(['technician', T + 5]);
        await expect(store.auth.addOperator(op, T)).rejects.toThrow();
        expect(await store.auth.operator(uid('nobody'))).toBeUndefined();

        const other = await h.another();
        const session = { id: uid('sid'), username, createdAt: T, expiresAt: T + 60_000, ip: '127.0.0.1' };
        await store.auth.createSession(session);
        expect(await other.auth.session(session.id)).toStrictEqual(session);
        expect(await other.auth.revokeSession(session.id, T + 10)).toBe(true);
        expect(await store.auth.revokeSession(session.id, T + 11)).toBe(false);
        expect(await store.auth.session(session.id)).toStrictEqual({ ...session, revokedAt: T + 10 });
        const s2 = { id: uid('sid'), username, createdAt: T, expiresAt: T + 60_000 };
        const s3 = { id: uid('sid'), username, createdAt: T, expiresAt: T + 60_000 };
        await store.auth.createSession(s2);
        await store.auth.createSession(s3);
        expect(await store.auth.revokeSessionsOf(username, T + 20)).toBe(2);
        expect((await store.auth.session(s3.id))?.revokedAt).toBe(T + 20);
        const old = { id: uid('sid'), username, createdAt: T - 100_000, expiresAt: T - 50_000 };
        await store.auth.createSession(old);
        expect(await store.auth.purgeExpired(T - 40_000)).toBeGreaterThanOrEqual(1);
        expect(await store.auth.session(old.id)).toBeUndefined();
        expect(await store.auth.session(session.id)).toBeDefined();
      });

      it('counts failed logins per key atomically, on every instance, and forgets old ones', async () => {
        const key = JSON.stringify([uid('user'), '127.0.0.1']);
        const policy = { maxFailures: 100, windowMinutes: 15, lockMinutes: 15 };
        const fail = (s: StateStore, at: number) => s.auth.updateLockout(key, at, (current) => lockoutAfterFailure(current, at, policy).state);
        expect(await store.auth.lockout(key)).toBeUndefined();
        expect(await fail(store, T)).toStrictEqual({ failures: [T] });
        const other = await h.another();
        // Two nodes counting failures of one key at once: every failure counts.
        await Promise.all(Array.from({ length: 10 }, (_, i) => fail(i % 2 ? other : store, T + 1 + i)));
        expect((await store.auth.lockout(key))?.failures.sort((x, y) => x - y)).toStrictEqual([T, ...Array.from({ length: 10 }, (_, i) => T + 1 + i)]);
        const locked = await store.auth.updateLockout(key, T + 20, () => ({ failures: [], lockedUntil: T + 900_000 }));
        expect(locked).toStrictEqual({ failures: [], lockedUntil: T + 900_000 });
        expect(await other.auth.lockout(key)).toStrictEqual(locked);
        // Still locked: not forgotten.
        expect(await store.auth.purgeLockouts(T + 100)).toBeGreaterThanOrEqual(0);
        expect(await store.auth.lockout(key)).toStrictEqual(locked);
        // A success forgets it.
        expect(await store.auth.updateLockout(key, T + 30, () => undefined)).toBeUndefined();
        expect(await store.auth.lockout(key)).toBeUndefined();
        const stale = JSON.stringify([uid('user'), '0.0.0.0']);
        await fail(store, T - 3_600_000);
        await store.auth.updateLockout(stale, T - 3_600_000, () => ({ failures: [T - 3_600_000] }));
        expect(await store.auth.purgeLockouts(T - 1_800_000)).toBeGreaterThanOrEqual(1);
        expect(await store.auth.lockout(stale)).toBeUndefined();
      });
    });

    describe('device state', () => {
      it('keeps a value per device and key, replaced by the next', async () => {
        const key = uid('linkTest');
        await store.setDeviceState('b1', key, { at: T, latencyMs: 81.5, receiver: 'primary' });
        await store.setDeviceState('b2', key, { at: T + 1, latencyMs: 12 });
        await store.setDeviceState('b1', key, { at: T + 2, latencyMs: 40 });
        await store.setDeviceState('b1', uid('other'), 'x');
        const other = await h.another();
        expect(await other.deviceStates(key)).toStrictEqual(
          new Map<string, unknown>([
            ['b1', { at: T + 2, latencyMs: 40 }],
            ['b2', { at: T + 1, latencyMs: 12 }],
          ]),
        );
        expect(await store.deviceStates(uid('none'))).toStrictEqual(new Map());
      });
      it('writes many devices under one key at once, replacing what they had', async () => {
        const key = uid('state');
        await store.setDeviceState('b1', key, { battery: { value: 90, at: T } });
        await store.setDeviceStates(key, []);
        await store.setDeviceStates(key, [
          ['b1', { battery: { value: 80, at: T + 1 } }],
          ['b2', { rssi: { value: -61, at: T + 1 }, link: { value: 'online', at: T } }],
          ['b3', {}],
        ]);
        const other = await h.another();
        expect(await other.deviceStates(key)).toStrictEqual(
          new Map<string, unknown>([
            ['b1', { battery: { value: 80, at: T + 1 } }],
            ['b2', { rssi: { value: -61, at: T + 1 }, link: { value: 'online', at: T } }],
            ['b3', {}],
          ]),
        );
      });
    });
  });
}
