/**
 * The far ends of the default district on ephemeral loopback ports, for tests and scenarios:
 * two 110 receivers (primary, secondary), the SMS centre and the Modbus barrier controller
 * (units 1..5 = sch-01..05-bar-1), with the configuration overrides that point a gateway at
 * them. DC-09 panels get an ephemeral receiver port; background camera checks are off (each
 * runs ffmpeg; camera tests turn them on). Given `cameras`, an ONVIF camera fleet serves them
 * behind the district NVR endpoint (only then: each camera streams through ffmpeg).
 */
import { AlarmCentreSimulator } from './alarm-centre/alarm-centre-simulator.js';
import { BarrierControllerSimulator } from './barrier-modbus/simulator.js';
import { CameraFleetSimulator } from './camera-onvif/fleet.js';
import { SmsCentreSimulator } from './sms-centre/sms-centre-simulator.js';
import { centreControls } from './alarm-centre/plugin.js';
import { controllerControls } from './barrier-modbus/plugin.js';
import { fleetControls } from './camera-onvif/plugin.js';
import { smsCentreControls } from './sms-centre/plugin.js';
import type { SimControls } from './plugin.js';

export interface EphemeralFarEnds {
  /** The same far ends as the simulator control sees them (SimulatorControl's `simulators`). */
  simulators: SimControls[];
  primary: AlarmCentreSimulator;
  secondary: AlarmCentreSimulator;
  sms: SmsCentreSimulator;
  plc: BarrierControllerSimulator;
  /** The camera fleet, when cameras were asked for. */
  fleet?: CameraFleetSimulator;
  /** Configuration overrides pointing the gateway's adapters at these simulators. */
  overrides: Record<string, unknown>;
  stop(): Promise<void>;
}

export interface EphemeralFarEndOptions {
  /** Cameras of the district NVR endpoint to simulate, with their ONVIF credentials. */
  cameras?: { id: string; name: string }[];
  cameraCredentials?: { username: string; password: string };
}

export async function startEphemeralFarEnds(opts: EphemeralFarEndOptions = {}): Promise<EphemeralFarEnds> {
  const primary = new AlarmCentreSimulator();
  const secondary = new AlarmCentreSimulator();
  const sms = new SmsCentreSimulator();
  const plc = new BarrierControllerSimulator({ host: '127.0.0.1', port: 0, units: [1, 2, 3, 4, 5], travelMs: 200, initial: 'raised' });
  const started: { stop(): Promise<void> }[] = [];
  try {
    const a = await primary.start({ port: 0, httpPort: null });
    started.push(primary);
    const b = await secondary.start({ port: 0, httpPort: null });
    started.push(secondary);
    const s = await sms.start({ host: '127.0.0.1', port: 0, systemId: 'campusgw', password: 'demo1234', receiptDelayMs: 50 });
    started.push(sms);
    const p = await plc.start();
    started.push(plc);
    let fleet: CameraFleetSimulator | undefined;
    if (opts.cameras?.length) {
      fleet = new CameraFleetSimulator({ cameras: opts.cameras, host: '127.0.0.1', httpPort: 0, ...(opts.cameraCredentials ?? {}) });
      await fleet.start();
      started.push(fleet);
    }
    const overrides = {
      adapters: {
        'alarm-centre-dc09': {
          primary: { host: '127.0.0.1', port: a.port },
          secondary: { host: '127.0.0.1', port: b.port },
          supervisionSeconds: 2,
          backoffMinMs: 50,
          backoffMaxMs: 500,
          ackTimeoutMs: 1000,
          connectTimeoutMs: 500,
        },
        'panel-dc09': { host: '127.0.0.1', port: 0 },
        'camera-gb28181': { host: '127.0.0.1', port: 0 },
        'sms-smpp': { host: '127.0.0.1', port: s.port },
        'camera-onvif': { checkIntervalSeconds: 0, endpoints: { 'district-nvr': { host: '127.0.0.1', port: fleet?.httpPort ?? 1 } } },
        'barrier-modbus': { controllers: { 'district-plc': { host: '127.0.0.1', port: p.port } }, pollIntervalMs: 100 },
      },
    };
    const simulators = [
      centreControls([
        { name: 'primary', sim: primary },
        { name: 'secondary', sim: secondary },
      ]),
      smsCentreControls(sms),
      controllerControls([{ name: 'district-plc', sim: plc }]),
      fleetControls(fleet ? [fleet] : []),
    ];
    return { primary, secondary, sms, plc, ...(fleet ? { fleet } : {}), simulators, overrides, stop: () => Promise.all(started.map((x) => x.stop())).then(() => undefined) };
  } catch (err) {
    await Promise.all(started.map((x) => x.stop().catch(() => undefined)));
    throw err;
  }
}
