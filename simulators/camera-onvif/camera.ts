/**
 * One simulated ONVIF camera on its own ports, laid out like a real device:
 * `http://host:port/onvif/device_service`, `rtsp://host:rtspPort/stream1`, `/snapshot.jpg`.
 */
import type { Device } from '../../gateway/contract/types.js';
import { CameraFleetSimulator, type CameraDeviceOptions, type CameraFleetOptions } from './fleet.js';
import type { CameraFault, CameraFaultKind, CameraSpec, CameraState, CameraUrls } from './sim-camera.js';

export interface CameraSimulatorOptions extends Omit<CameraFleetOptions, 'cameras' | 'layout'>, Partial<CameraSpec> {}

export class CameraSimulator {
  private readonly fleet: CameraFleetSimulator;
  readonly id: string;

  constructor(opts: CameraSimulatorOptions = {}) {
    const { id = 'cam-001', name, manufacturer, model, firmware, username, password, ...rest } = opts;
    this.id = id;
    const spec: CameraSpec = { id, name, manufacturer, model, firmware, username, password };
    this.fleet = new CameraFleetSimulator({ ...rest, cameras: [spec], layout: 'single' });
  }

  get httpPort(): number {
    return this.fleet.httpPort;
  }

  get rtspPort(): number {
    return this.fleet.rtspPort;
  }

  start(): Promise<void> {
    return this.fleet.start();
  }

  stop(): Promise<void> {
    return this.fleet.stop();
  }

  setFault(fault: CameraFault): Promise<void> {
    return this.fleet.setFault(this.id, fault);
  }

  restore(kind?: CameraFaultKind): Promise<void> {
    return this.fleet.restore(this.id, kind);
  }

  state(): CameraState {
    return this.fleet.state(this.id);
  }

  deviceOptions(): CameraDeviceOptions {
    return this.fleet.deviceOptions(this.id);
  }

  device(siteId: string): Device {
    const [device] = this.fleet.devices(siteId);
    if (!device) throw new Error('GW_ERR_SIM_UNKNOWN_CAMERA: simulator has no camera');
    return device;
  }

  urls(): CameraUrls {
    return this.fleet.urls(this.id);
  }

  hungRequests(): number {
    return this.fleet.hungRequests(this.id);
  }

  rtspSessions(): number {
    return this.fleet.rtspSessions(this.id);
  }
}
