import type { DeviceRegistry } from '../../contract/adapter.js';
import type { Device, Site } from '../../contract/types.js';
import type { DeviceKind } from '../../contract/vocabulary.js';

/** Read-only view of the configured sites and devices, indexed for lookups. */
export class Registry implements DeviceRegistry {
  private readonly byId: Map<string, Device>;
  private readonly sitesById: Map<string, Site>;

  constructor(
    private readonly siteList: readonly Site[],
    private readonly deviceList: readonly Device[],
  ) {
    this.byId = new Map(deviceList.map((d) => [d.id, d]));
    this.sitesById = new Map(siteList.map((s) => [s.id, s]));
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
