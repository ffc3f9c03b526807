/**
 * The simulated ONVIF camera fleet behind each camera-onvif endpoint the configuration names
 * (the district NVR), with the configuration's seeded camera faults; each camera is a thing the
 * control can cover, freeze, drop, fault and restore. Without a runnable ffmpeg the fleet is
 * left out with one line: the cameras then show unreachable, which is the truth.
 */
import { FFMPEG_MISSING, findFfmpeg } from '../../adapters/shared/ffmpeg-binary.js';
import type { SimActionName } from '../../gateway/contract/simulator-port.js';
import type { Device } from '../../gateway/contract/types.js';
import { configuredDevices, deviceView, type ControlTarget, type SimControls, type SimulatorPlugin } from '../plugin.js';
import { CameraFleetSimulator, FAULT_KINDS, type CameraFaultKind, type CameraState } from './fleet.js';
import type { CameraFault } from './sim-camera.js';

const ADAPTER = 'camera-onvif';
const ACTIONS: SimActionName[] = ['cover', 'uncover', 'freeze', 'unfreeze', 'drop', 'restore', 'fault'];

function cameraFaults(st: CameraState): string[] {
  const on: Record<CameraFaultKind, boolean> = {
    offline: st.offline,
    'wrong-password': st.wrongPassword,
    black: st.picture === 'black',
    frozen: st.picture === 'frozen',
    moved: st.picture === 'moved',
    'clock-skew': st.clockSkewSeconds !== 0,
    'stream-down': st.streamDown,
    tamper: st.tamper,
    'video-loss': st.videoLoss,
  };
  return FAULT_KINDS.filter((k) => on[k]);
}

function cameraTarget(device: Device, fleet: CameraFleetSimulator): ControlTarget {
  const id = device.id;
  return {
    view: () => {
      const st = fleet.state(id);
      return {
        ...deviceView(device, 'onvif-camera', st.offline ? 'offline' : 'online', cameraFaults(st), ACTIONS, FAULT_KINDS),
        camera: { covered: st.picture === 'black', frozen: st.picture === 'frozen', offline: st.offline, streamDown: st.streamDown, picture: st.picture },
      };
    },
    act: async ({ action, fault, on = true }) => {
      switch (action) {
        case 'cover':
          return fleet.setFault(id, 'black');
        case 'uncover':
          return fleet.restore(id, 'black');
        case 'freeze':
          return fleet.setFault(id, 'frozen');
        case 'unfreeze':
          return fleet.restore(id, 'frozen');
        case 'drop':
          return fleet.setFault(id, 'offline');
        case 'restore':
          return fleet.restore(id);
        case 'fault':
          return on ? fleet.setFault(id, fault as CameraFaultKind) : fleet.restore(id, fault as CameraFaultKind);
        default:
          throw new Error(`'${action}' does not apply to a camera`);
      }
    },
  };
}

/** The control's view of running fleets (also for tests and scenarios). */
export function fleetControls(fleets: readonly CameraFleetSimulator[]): SimControls {
  return {
    device: (device) => {
      if (device.adapter !== ADAPTER) return undefined;
      // A fleet knows its cameras only while it runs: state() throws otherwise.
      const fleet = fleets.find((f) => f.ids().includes(device.id));
      if (!fleet) return undefined;
      try {
        fleet.state(device.id);
      } catch {
        return undefined;
      }
      return cameraTarget(device, fleet);
    },
  };
}

export const cameraOnvifSimulator: SimulatorPlugin = {
  adapter: ADAPTER,
  async start(config, ctx) {
    const cfg = config.adapters[ADAPTER] as { endpoints?: Record<string, { host: string; port: number }> } | undefined;
    const fleets: CameraFleetSimulator[] = [];
    for (const [name, ep] of Object.entries(cfg?.endpoints ?? {})) {
      if (!ctx.wanted(ep.host)) continue;
      const cams = configuredDevices(config, ADAPTER).filter((d) => d.options?.endpoint === name);
      if (cams.length === 0) continue;
      const first = cams[0]?.options ?? {};
      const fleet = new CameraFleetSimulator({
        cameras: cams.map((d) => ({ id: d.id, name: d.name })),
        host: ctx.bindHost ?? ep.host,
        httpPort: ep.port,
        username: String(first.username ?? 'admin'),
        password: String(first.password ?? ''),
        log: ctx.log.child({ sim: name }),
      });
      try {
        await fleet.start();
      } catch (err) {
        // Simulated cameras are one optional part of the district: without them the gateway and
        // every other device still run; the cameras show as unreachable, which is the truth.
        await fleet.stop().catch(() => undefined);
        ctx.log.warn({ endpoint: name, cameras: cams.length, err: (err as Error).message }, `camera simulators not started (${cams.length} cameras will show unreachable): ${findFfmpeg() ? (err as Error).message : FFMPEG_MISSING}`);
        continue;
      }
      for (const d of cams) {
        for (const fault of config.simulation.faults[d.id] ?? []) await fleet.setFault(d.id, seededCameraFault(fault)).catch(() => undefined);
      }
      fleets.push(fleet);
      ctx.bound(ADAPTER, ['endpoints', name], ep.host, ep.port, fleet.httpPort);
      ctx.log.info({ endpoint: name, port: fleet.httpPort, cameras: cams.length }, 'ONVIF camera fleet simulator listening');
    }
    if (fleets.length === 0) return undefined;
    return { adapter: ADAPTER, ...fleetControls(fleets), stop: async () => void (await Promise.all(fleets.map((f) => f.stop()))) };
  },
};

/** A seeded camera fault: a fault's name, or `clock-skew:<seconds>` for a clock that far off. */
export function seededCameraFault(seed: string): CameraFault {
  const skew = /^clock-skew:(-?\d+)$/.exec(seed);
  return skew ? { kind: 'clock-skew', seconds: Number(skew[1]) } : (seed as CameraFault);
}
