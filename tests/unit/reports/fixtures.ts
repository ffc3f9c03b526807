/** Small district, fake health and an in-memory sweep store for the sweep and report unit tests. */
import Database from 'better-sqlite3';
import pino from 'pino';
import type { CheckResult } from '../../../gateway/contract/adapter.js';
import type { HealthView } from '../../../gateway/core/sweeps/check.js';
import type { SweepContext, SweepResult } from '../../../gateway/core/sweeps/types.js';
import type { Device, Health, Site } from '../../../gateway/contract/types.js';
import type { DeviceKind } from '../../../gateway/contract/vocabulary.js';
import { SqliteSweepStore } from '../../../gateway/store/sqlite/sweep-store.js';
import { sweepReport } from '../../../gateway/reports/sweep-reports.js';

export const silentLog = pino({ level: 'silent' });

export function site(id: string, name: string, district = 'd1'): Site {
  return { id, name, nameEn: `${id} school`, district, timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] };
}

export function device(id: string, siteId: string, kind: DeviceKind, adapter: string, extra: Partial<Device> = {}): Device {
  return { id, siteId, kind, adapter, name: `${kind} ${id}`, options: {}, ...extra };
}

export const SITES: Site[] = [site('s01', '第一中学'), site('s02', '第二中学'), site('s03', '第三小学', 'd2')];

export class FakeHealth implements HealthView {
  readonly map = new Map<string, Health>();
  get(deviceId: string): Health | undefined {
    return this.map.get(deviceId);
  }
  set(d: Device, h: Partial<Health>): void {
    this.map.set(d.id, { deviceId: d.id, siteId: d.siteId, kind: d.kind, status: 'ok', reasons: [], checkedAt: 0, ...h });
  }
}

export function memoryStore(): { db: Database.Database; store: SqliteSweepStore } {
  const db = new Database(':memory:');
  return { db, store: new SqliteSweepStore(db) };
}

export const okCheck = (evidence: CheckResult['evidence'] = {}): CheckResult => ({ status: 'ok', reasons: [], evidence });

/** A promise resolved after `ms` of (fake or real) time. */
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const T_REPORT = Date.parse('2026-11-23T08:00:00+08:00');

export function result(deviceId: string, siteId: string, over: Partial<SweepResult> = {}): SweepResult {
  return {
    deviceId,
    siteId,
    kind: 'alarm-button',
    status: 'ok',
    reasons: [],
    evidence: {},
    method: 'passive',
    lastSeen: T_REPORT - 5000,
    startedAt: T_REPORT + 1000,
    durationMs: 3,
    ...over,
  };
}

/** Records and seals one sweep with these results; returns its report. */
export async function sealSweep(
  store: SqliteSweepStore,
  id: string,
  results: SweepResult[],
  context: SweepContext,
) {
  await store.create(
    { id, trigger: 'api', state: 'running', createdAt: T_REPORT, total: results.length, selection: {}, options: { concurrency: 16, timeoutMs: 15000, extras: [] } },
    context,
  );
  for (const r of results) await store.addResult(id, r);
  const sites = new Set(results.map((r) => r.siteId));
  const failing = results.filter((r) => r.status !== 'ok');
  await store.finish(id, {
    state: 'done',
    finishedAt: T_REPORT + 4000,
    summary: {
      total: results.length,
      done: results.length,
      ok: results.length - failing.length,
      failing: failing.length,
      byStatus: { ok: results.length - failing.length, degraded: failing.length, offline: 0, unknown: 0 },
      sites: { total: sites.size, failing: new Set(failing.map((r) => r.siteId)).size },
      bySite: [],
      byReason: [],
    },
  });
  const report = await sweepReport(store, id);
  if (!report) throw new Error('not sealed');
  return report;
}
