import type { DeviceRegistry, DiscoveredDevice } from '../../contract/adapter.js';
import { GatewayError } from '../../contract/errors.js';
import type { Device, Site } from '../../contract/types.js';
import type { DeviceKind } from '../../contract/vocabulary.js';

/**
 * The configured sites and devices, indexed for lookups; adapters may add devices they discover
 * at run time under a configured site (add()), never sites.
 */
export class Registry implements DeviceRegistry {
  private readonly byId: Map<string, Device>;
  private readonly sitesById: Map<string, Site>;
  private readonly deviceList: Device[];

  constructor(
    private readonly siteList: readonly Site[],
    devices: readonly Device[],
  ) {
    this.deviceList = [...devices];
    this.byId = new Map(devices.map((d) => [d.id, d]));
    this.sitesById = new Map(siteList.map((s) => [s.id, s]));
  }

  /**
   * Adds a device `adapter` discovered, or updates the name and options of one it added (or was
   * configured with) before. Returns the device as the registry holds it, and whether it is new.
   */
  add(adapter: string, d: DiscoveredDevice): { device: Device; added: boolean } {
    if (!this.sitesById.has(d.siteId)) throw new GatewayError('GW_ERR_UNKNOWN_SITE', `${d.siteId} (device ${d.id} from ${adapter})`);
    const existing = this.byId.get(d.id);
    if (existing) {
      if (existing.adapter !== adapter || existing.siteId !== d.siteId || existing.kind !== d.kind) {
        throw new GatewayError('GW_ERR_CONFIG_INVALID', `device ${d.id} is already ${existing.adapter}'s ${existing.kind} at ${existing.siteId}: ${adapter} cannot add it at ${d.siteId}`);
      }
      const updated: Device = { ...existing, name: d.name, options: { ...existing.options, ...(d.options ?? {}) } };
      this.byId.set(d.id, updated);
      this.deviceList[this.deviceList.indexOf(existing)] = updated;
      return { device: updated, added: false };
    }
    const device: Device = { id: d.id, siteId: d.siteId, kind: d.kind, adapter, name: d.name, options: { ...(d.options ?? {}) } };
    this.byId.set(device.id, device);
    this.deviceList.push(device);
    return { device, added: true };
  }

  get(id: string): Device | undefined {
    return this.byId.get(id);
  }

  site(id: string): Site | undefined {
    return this.sitesById.get(id);
  }

  list(filter: { siteId?: string; kind?: DeviceKind; adapter?: string } = {}): Device[] {
    return this.deviceList.filter(
      (d) =>
        (!filter.siteId || d.siteId === filter.siteId) &&
        (!filter.kind || d.kind === filter.kind) &&
        (!filter.adapter || d.adapter === filter.adapter),
    );
  }

  sites(): Site[] {
    return [...this.siteList];
  }
}
