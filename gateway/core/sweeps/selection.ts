/**
 * Turns a sweep selection into the devices to check, and a finished set of results into the
 * summary technicians read first ("7 of 33 schools").
 */
import type { DeviceRegistry } from '../../contract/adapter.js';
import { GatewayError } from '../../contract/errors.js';
import type { SweepContext, SweepResult, SweepSelection, SweepSummary } from './types.js';
import type { Device, HealthStatus } from '../../contract/types.js';
import type { HealthReasonCode } from '../../contract/vocabulary.js';

/**
 * Devices matching every given filter, in registry order. Unknown ids are refused by name
 * (a typo must not shrink a sweep silently), and so is a selection that matches nothing.
 */
export function selectDevices(registry: DeviceRegistry, selection: SweepSelection): Device[] {
  const problems: string[] = [];
  const sites = registry.sites();
  if (selection.district !== undefined && !sites.some((s) => s.district === selection.district)) {
    problems.push(`unknown district '${selection.district}'`);
  }
  for (const id of selection.sites ?? []) if (!registry.site(id)) problems.push(`unknown site '${id}'`);
  for (const id of selection.devices ?? []) if (!registry.get(id)) problems.push(`unknown device '${id}'`);
  if (problems.length > 0) throw new GatewayError('GW_ERR_SWEEP_SELECTION', problems.slice(0, 10).join('; '), { details: problems });

  const siteSet = selection.sites && selection.sites.length > 0 ? new Set(selection.sites) : undefined;
  const kindSet = selection.kinds && selection.kinds.length > 0 ? new Set<string>(selection.kinds) : undefined;
  const deviceSet = selection.devices && selection.devices.length > 0 ? new Set(selection.devices) : undefined;
  const districtSites =
    selection.district === undefined ? undefined : new Set(sites.filter((s) => s.district === selection.district).map((s) => s.id));
  const chosen = registry
    .list()
    .filter(
      (d) =>
        (!districtSites || districtSites.has(d.siteId)) &&
        (!siteSet || siteSet.has(d.siteId)) &&
        (!kindSet || kindSet.has(d.kind)) &&
        (!deviceSet || deviceSet.has(d.id)),
    );
  if (chosen.length === 0) throw new GatewayError('GW_ERR_SWEEP_SELECTION', 'the selection matches no device');
  return chosen;
}

/** Names of what was selected, frozen into the sweep (see SweepContext). */
export function sweepContext(registry: DeviceRegistry, devices: readonly Device[], district?: SweepContext['district']): SweepContext {
  const siteIds = [...new Set(devices.map((d) => d.siteId))].sort();
  return {
    ...(district ? { district } : {}),
    sites: siteIds.map((id) => {
      const s = registry.site(id);
      return { id, name: s?.name ?? id, ...(s?.nameEn ? { nameEn: s.nameEn } : {}) };
    }),
    devices: Object.fromEntries(devices.map((d) => [d.id, { name: d.name, adapter: d.adapter }])),
  };
}

/** A result a technician must act on: anything not plainly ok ("unknown" is never healthy). */
export function isFailing(r: Pick<SweepResult, 'status' | 'reasons'>): boolean {
  return r.status !== 'ok' || r.reasons.length > 0;
}

export function summarize(results: readonly SweepResult[], total: number, context: SweepContext): SweepSummary {
  const byStatus: Record<HealthStatus, number> = { ok: 0, degraded: 0, offline: 0, unknown: 0 };
  const siteIds = new Set(context.sites.map((s) => s.id));
  for (const r of results) siteIds.add(r.siteId);
  const bySite = new Map([...siteIds].sort().map((id) => [id, { siteId: id, total: 0, ok: 0, failing: 0, reasons: {} as Record<string, number> }]));
  const reasonDevices = new Map<HealthReasonCode, number>();
  const reasonSites = new Map<HealthReasonCode, Set<string>>();
  let failing = 0;
  for (const r of results) {
    byStatus[r.status] += 1;
    const site = bySite.get(r.siteId);
    if (!site) continue;
    site.total += 1;
    if (!isFailing(r)) {
      site.ok += 1;
      continue;
    }
    failing += 1;
    site.failing += 1;
    for (const code of new Set(r.reasons.map((x) => x.code))) {
      site.reasons[code] = (site.reasons[code] ?? 0) + 1;
      reasonDevices.set(code, (reasonDevices.get(code) ?? 0) + 1);
      const set = reasonSites.get(code) ?? new Set<string>();
      set.add(r.siteId);
      reasonSites.set(code, set);
    }
  }
  const sites = [...bySite.values()];
  return {
    total,
    done: results.length,
    ok: results.length - failing,
    failing,
    byStatus,
    sites: { total: sites.length, failing: sites.filter((s) => s.failing > 0).length },
    bySite: sites,
    byReason: [...reasonDevices.entries()]
      .map(([code, devices]) => ({ code, devices, sites: reasonSites.get(code)?.size ?? 0 }))
      .sort((a, b) => b.devices - a.devices || a.code.localeCompare(b.code)),
  };
}
