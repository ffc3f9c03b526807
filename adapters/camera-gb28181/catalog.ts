/**
 * Which gateway device a GB/T 28181 id is (GB/T 28181-2016 §9.5.1 catalog, §9.1 registration):
 * a device configured with that `options.gbId`, else the adapter's explicit channel table, else
 * the longest configured id prefix naming a school, in which case the device is added at run
 * time (`<site>-gb-<id>`). Recorders (DVR/NVR) become `nvr` devices, channels `camera` devices.
 */
import type { AdapterContext } from '../../gateway/contract/adapter.js';
import type { Device } from '../../gateway/contract/types.js';
import { deviceGbId, type CameraGb28181Config } from './config.js';
import { gbRole } from './gb-id.js';

export const CAMERA_GB28181_TYPE = 'camera-gb28181';

export class DeviceMap {
  /** Registry device id by GB id, for ids already resolved. */
  private readonly byGbId = new Map<string, string>();

  constructor(
    private readonly ctx: AdapterContext,
    private readonly config: CameraGb28181Config,
  ) {}

  /** The configured devices of this adapter with a GB id. */
  configured(): Device[] {
    return this.ctx.devices.list({ adapter: CAMERA_GB28181_TYPE }).filter((d) => deviceGbId(d.options) !== undefined);
  }

  /** The registry device for a GB id, resolving (and adding) it when it is new; undefined when unmapped. */
  resolve(gbId: string, opts: { name?: string; parentId?: string } = {}): Device | undefined {
    const known = this.byGbId.get(gbId);
    if (known) {
      const d = this.ctx.devices.get(known);
      if (d) return d;
    }
    const configured = this.configured().find((d) => deviceGbId(d.options) === gbId);
    if (configured) {
      this.byGbId.set(gbId, configured.id);
      return configured;
    }
    const entry = this.config.channels[gbId];
    const siteId = entry?.siteId ?? this.prefixSite(gbId);
    if (!siteId || !this.ctx.addDevice) return undefined;
    const role = gbRole(gbId);
    const id = entry?.deviceId ?? `${siteId}-gb-${gbId}`;
    const device = this.ctx.addDevice({
      id,
      siteId,
      kind: role === 'recorder' ? 'nvr' : 'camera',
      name: entry?.name ?? opts.name ?? `GB ${gbId}`,
      options: { gbId, ...(opts.parentId ? { parentId: opts.parentId } : {}) },
    });
    this.byGbId.set(gbId, device.id);
    return device;
  }

  /** The registry device for a GB id if there already is one; never adds a device. */
  find(gbId: string): Device | undefined {
    const known = this.byGbId.get(gbId);
    const d = known ? this.ctx.devices.get(known) : undefined;
    return d ?? this.configured().find((x) => deviceGbId(x.options) === gbId);
  }

  /** The GB id of a registry device of this adapter. */
  gbIdOf(deviceId: string): string | undefined {
    const d = this.ctx.devices.get(deviceId);
    return d && d.adapter === CAMERA_GB28181_TYPE ? deviceGbId(d.options) : undefined;
  }

  private prefixSite(gbId: string): string | undefined {
    let best: string | undefined;
    for (const prefix of Object.keys(this.config.prefixes)) {
      if (gbId.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
    }
    return best === undefined ? undefined : this.config.prefixes[best];
  }
}
