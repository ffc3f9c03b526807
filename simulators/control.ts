/**
 * The simulator control (SimulatorControlPort) over a running simulated district and its far
 * ends: lists every simulated thing with its state and performs a tester's actions through the
 * simulators' own operations (the same ones the scenario runner used to call directly).
 * Used by the gateway's /api/simulators routes (main.ts --simulate), by the in-process
 * scenario runner, and by tests.
 */
import type { Device } from '../gateway/contract/types.js';
import { BUTTON_FAULTS } from './alarm-button.js';
import type { AlarmCentreSimulator } from './alarm-centre/alarm-centre-simulator.js';
import { SIM_FAULTS, type SimFault } from './barrier-modbus/register-map.js';
import type { BarrierControllerSimulator } from './barrier-modbus/simulator.js';
import { FAULT_KINDS, type CameraFaultKind, type CameraFleetSimulator, type CameraState } from './camera-onvif/fleet.js';
import {
  FAR_END_IDS,
  FLOOD_MAX,
  isSimulatorRefusal,
  simulatorRefusal,
  type SimActionName,
  type SimActionRequest,
  type SimDeviceList,
  type SimDeviceView,
  type SimState,
  type SimulatorControlPort,
} from '../gateway/contract/simulator-port.js';
import type { DistrictSimulator } from './district.js';
import type { EphemeralFarEnds } from './ephemeral-far-ends.js';
import { SimulatedGenericDevice } from './generic-device.js';
import type { SmsCentreSimulator } from './sms-centre/sms-centre-simulator.js';

/** The far-end simulators the control reaches (simulators/far-ends.ts FarEnds fits as it is). */
export interface ControlFarEnds {
  centres: readonly { name: string; sim: AlarmCentreSimulator }[];
  sms?: SmsCentreSimulator;
  /** Modbus barrier controllers by the controller name the barriers' `options.controller` gives. */
  plcs: readonly { name: string; sim: BarrierControllerSimulator }[];
  fleets: readonly CameraFleetSimulator[];
}

export interface SimulatorControlOptions {
  /** The gateway's devices (configuration order): what is simulated is looked up among them. */
  devices: readonly Device[];
  farEnds: ControlFarEnds;
}

/** The ephemeral far ends of tests and scenarios, as the control sees them. */
export function ephemeralControlFarEnds(far: EphemeralFarEnds): ControlFarEnds {
  return {
    centres: [
      { name: 'primary', sim: far.primary },
      { name: 'secondary', sim: far.secondary },
    ],
    sms: far.sms,
    plcs: [{ name: 'district-plc', sim: far.plc }],
    fleets: far.fleet ? [far.fleet] : [],
  };
}

type Target =
  | { type: 'centre'; id: string; receiver: string; sim: AlarmCentreSimulator }
  | { type: 'sms'; id: string; sim: SmsCentreSimulator }
  | { type: 'mqtt' | 'panel' | 'radio'; id: string; device: Device; district: DistrictSimulator }
  | { type: 'plc'; id: string; device: Device; plc: BarrierControllerSimulator; unit: number }
  | { type: 'camera'; id: string; device: Device; fleet: CameraFleetSimulator };

const MQTT_COMMON: SimActionName[] = ['drop', 'restore', 'freeze', 'malformed', 'flood'];
const ACTIONS = {
  button: ['press', 'test-press', 'fault', ...MQTT_COMMON],
  mqttBarrier: ['lower', 'raise', 'impact', ...MQTT_COMMON],
  mqtt: MQTT_COMMON,
  panel: ['press', 'test-press'],
  radio: ['drop', 'restore'],
  plc: ['lower', 'raise', 'impact', 'fault', 'drop', 'restore'],
  camera: ['cover', 'uncover', 'freeze', 'unfreeze', 'drop', 'restore', 'fault'],
  farEnd: ['down', 'up'],
} satisfies Record<string, SimActionName[]>;
/** MQTT actions that publish, so need the device connected. */
const NEEDS_LINK = new Set<SimActionName>(['press', 'test-press', 'malformed', 'flood', 'lower', 'raise', 'impact']);

/** The district simulator that plays each adapter's devices. */
const SIMULATED_BY: Readonly<Record<string, 'mqtt' | 'panel' | 'radio'>> = { 'mqtt-native': 'mqtt', 'panel-dc09': 'panel', radio: 'radio' };

const CENTRE_NAMES: Record<string, string> = { primary: '110 接警中心 主接收机', secondary: '110 接警中心 备用接收机' };

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

const invalid = (message: string) => simulatorRefusal('invalid', message);

export class SimulatorControl implements SimulatorControlPort {
  private district: DistrictSimulator | undefined;
  private index: Map<string, Device> | undefined;

  constructor(private readonly opts: SimulatorControlOptions) {}

  /** The district whose MQTT devices, radio box and DC-09 panels the control drives (set once it runs; undefined detaches). */
  attach(district: DistrictSimulator | undefined): void {
    this.district = district;
  }

  list(): SimDeviceList {
    const far = this.opts.farEnds;
    const farEnds = [
      ...far.centres.flatMap((c) => (c.name === 'primary' || c.name === 'secondary' ? [this.view({ type: 'centre', id: FAR_END_IDS[c.name], receiver: c.name, sim: c.sim })] : [])),
      ...(far.sms ? [this.view({ type: 'sms', id: FAR_END_IDS.sms, sim: far.sms })] : []),
    ];
    const devices = this.opts.devices.flatMap((d) => {
      const target = this.resolve(d.id);
      return target ? [this.view(target)] : [];
    });
    return { farEnds, devices };
  }

  get(id: string): SimDeviceView | undefined {
    const target = this.resolve(id);
    return target ? this.view(target) : undefined;
  }

  async act(id: string, request: SimActionRequest): Promise<SimDeviceView> {
    const target = this.resolve(id);
    if (!target) throw simulatorRefusal('unknown', `nothing simulated has the id '${id}'`);
    const before = this.view(target);
    const { action } = request;
    if (!before.actions.includes(action)) {
      throw invalid(`'${action}' does not apply to ${id} (${before.kind}, ${before.simulator}); it takes: ${before.actions.join(', ')}`);
    }
    if (action === 'fault' && (request.fault === undefined || !before.faultKinds.includes(request.fault))) {
      throw invalid(`'fault' on ${id} needs a fault, one of: ${before.faultKinds.join(', ')}${request.fault !== undefined ? ` (got '${request.fault}')` : ''}`);
    }
    if (action === 'flood' && (request.count === undefined || !Number.isInteger(request.count) || request.count < 1 || request.count > FLOOD_MAX)) {
      throw invalid(`'flood' needs a count, an integer 1..${FLOOD_MAX}`);
    }
    try {
      await this.perform(target, request);
    } catch (err) {
      if (isSimulatorRefusal(err)) throw err;
      throw simulatorRefusal('failed', `${action} on ${id} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return this.view(target);
  }

  private devicesById(): Map<string, Device> {
    this.index ??= new Map(this.opts.devices.map((d) => [d.id, d]));
    return this.index;
  }

  private resolve(id: string): Target | undefined {
    const far = this.opts.farEnds;
    for (const receiver of ['primary', 'secondary'] as const) {
      const centre = far.centres.find((c) => c.name === receiver);
      if (id === FAR_END_IDS[receiver] && centre) return { type: 'centre', id, receiver, sim: centre.sim };
    }
    if (id === FAR_END_IDS.sms && far.sms) return { type: 'sms', id, sim: far.sms };
    const device = this.devicesById().get(id);
    if (!device) return undefined;
    const district = this.district;
    const simulated = district?.simulates(id);
    if (district && simulated) {
      return SIMULATED_BY[device.adapter] === simulated ? { type: simulated, id, device, district } : undefined;
    }
    if (device.adapter === 'barrier-modbus') {
      const plc = far.plcs.find((p) => p.name === String(device.options.controller ?? ''))?.sim;
      const unit = Number(device.options.unitId ?? 1);
      return plc?.unitIds().includes(unit) ? { type: 'plc', id, device, plc, unit } : undefined;
    }
    if (device.adapter === 'camera-onvif') {
      // A fleet knows its cameras only while it runs: state() throws otherwise.
      const fleet = far.fleets.find((f) => f.ids().includes(id));
      if (!fleet) return undefined;
      try {
        fleet.state(id);
      } catch {
        return undefined;
      }
      return { type: 'camera', id, device, fleet };
    }
    return undefined;
  }

  private view(t: Target): SimDeviceView {
    switch (t.type) {
      case 'centre': {
        const st = t.sim.status();
        const down = st.mode === 'down';
        return this.farEnd(t.id, CENTRE_NAMES[t.receiver] ?? t.id, 'alarm-centre', '110-receiver', down, { receiver: { mode: st.mode, listening: st.listening, accepted: st.counts.accepted } });
      }
      case 'sms':
        return this.farEnd(t.id, '短信中心 (SMPP)', 'sms', 'sms-centre', !t.sim.listening, {
          sms: { listening: t.sim.listening, bound: t.sim.boundSessions(), messages: t.sim.messages().length },
        });
      case 'mqtt': {
        const sim = t.district.device(t.id);
        const state: SimState = sim.isFrozen && sim.state === 'online' ? 'frozen' : sim.state;
        const kind = t.device.kind;
        const barrier = sim instanceof SimulatedGenericDevice && kind === 'barrier' ? { barrier: sim.barrierState() } : {};
        const actions = kind === 'alarm-button' ? ACTIONS.button : kind === 'barrier' ? ACTIONS.mqttBarrier : ACTIONS.mqtt;
        return { ...this.base(t.device, 'mqtt-device', state, [...sim.faults], actions, kind === 'alarm-button' ? [...BUTTON_FAULTS] : []), ...barrier };
      }
      case 'panel':
        return this.base(t.device, 'dc09-panel', 'online', [], ACTIONS.panel, []);
      case 'radio':
        return this.base(t.device, 'radio-box', t.district.radio(t.id).connected ? 'online' : 'dropped', [], ACTIONS.radio, []);
      case 'plc': {
        const st = t.plc.state(t.unit);
        return { ...this.base(t.device, 'modbus-barrier', st.silent ? 'unreachable' : 'online', [...st.faults], ACTIONS.plc, [...SIM_FAULTS]), barrier: { position: st.position, impactCount: st.impactCount } };
      }
      case 'camera': {
        const st = t.fleet.state(t.id);
        return {
          ...this.base(t.device, 'onvif-camera', st.offline ? 'offline' : 'online', cameraFaults(st), ACTIONS.camera, [...FAULT_KINDS]),
          camera: { covered: st.picture === 'black', frozen: st.picture === 'frozen', offline: st.offline, streamDown: st.streamDown, picture: st.picture },
        };
      }
    }
  }

  private base(device: Device, simulator: SimDeviceView['simulator'], state: SimState, faults: string[], actions: SimActionName[], faultKinds: string[]): SimDeviceView {
    return { id: device.id, name: device.name, siteId: device.siteId, kind: device.kind, simulator, state, faults, actions: [...actions], faultKinds };
  }

  private farEnd(id: string, name: string, kind: string, simulator: SimDeviceView['simulator'], down: boolean, extra: Partial<SimDeviceView>): SimDeviceView {
    return { id, name, kind, simulator, state: down ? 'down' : 'up', faults: [], actions: [...ACTIONS.farEnd], faultKinds: [], ...extra };
  }

  private async perform(t: Target, req: SimActionRequest): Promise<void> {
    const { action } = req;
    const on = req.on ?? true;
    switch (t.type) {
      case 'centre':
        return t.sim.setMode(action === 'down' ? 'down' : 'normal');
      case 'sms':
        return action === 'down' ? t.sim.goDown() : t.sim.comeUp();
      case 'panel':
        if (action === 'press') await t.district.press(t.id);
        else await t.district.panel(t.id).test('manual');
        return;
      case 'radio':
        if (action === 'drop') t.district.radio(t.id).drop();
        else await t.district.radio(t.id).restore();
        return;
      case 'mqtt':
        return this.performMqtt(t.id, t.district, req);
      case 'plc':
        return this.performPlc(t.plc, t.unit, action, req.fault as SimFault, on);
      case 'camera':
        return this.performCamera(t.fleet, t.id, action, req.fault as CameraFaultKind, on);
    }
  }

  private async performMqtt(id: string, district: DistrictSimulator, req: SimActionRequest): Promise<void> {
    const sim = district.device(id);
    if (NEEDS_LINK.has(req.action) && sim.state !== 'online') throw simulatorRefusal('state', `${id} is ${sim.state}, not connected: restore it first`);
    switch (req.action) {
      case 'press':
        return district.press(id);
      case 'test-press':
        return district.button(id).testPress();
      case 'fault': {
        const on = req.on ?? true;
        // A dead button is gone from the network, not a flag on a live one.
        if (req.fault === 'dead') return on ? sim.kill() : district.restore(id);
        return district.button(id).setFault(req.fault ?? '', on);
      }
      case 'drop':
        return district.drop(id);
      case 'restore':
        return district.restore(id);
      case 'freeze':
        return district.freeze(id);
      case 'malformed':
        return district.malformed(id);
      case 'flood': {
        // Many QoS 1 heartbeats from one device at once; mqtt.js queues them on its socket. In
        // batches, yielding between them, so the process keeps serving meanwhile. Not awaited:
        // the gateway throttles the flooder (mqtt.rateLimit) and then cuts it off.
        const count = req.count ?? 0;
        for (let i = 0; i < count; i++) {
          sim.heartbeat().catch(() => undefined);
          if (i % 100 === 99) await new Promise((r) => setImmediate(r));
        }
        return;
      }
      case 'lower':
      case 'raise':
      case 'impact':
        if (!(sim instanceof SimulatedGenericDevice)) throw invalid(`${id} is not a barrier`);
        return sim.barrier(req.action === 'lower' ? 'lowered' : req.action === 'raise' ? 'raised' : 'impact');
      default:
        throw invalid(`'${req.action}' does not apply to ${id}`);
    }
  }

  private async performPlc(plc: BarrierControllerSimulator, unit: number, action: SimActionName, fault: SimFault, on: boolean): Promise<void> {
    switch (action) {
      case 'lower':
        return plc.lower(unit);
      case 'raise':
        return plc.raise(unit);
      case 'impact':
        return plc.impact(unit, 1);
      case 'drop':
        // The unit stops answering while its controller stays reachable (a dead unit behind a gateway).
        return plc.unreachable('silent', unit);
      case 'restore':
        return plc.restore(unit);
      case 'fault': {
        if (on) return plc.setFault(fault, unit);
        // The controller clears faults all at once: clear, then set the others again.
        const others = plc.state(unit).faults.filter((f) => f !== fault);
        await plc.restore(unit);
        if (others.length > 0) plc.setFault(others, unit);
        return;
      }
      default:
        throw invalid(`'${action}' does not apply to a Modbus barrier`);
    }
  }

  private async performCamera(fleet: CameraFleetSimulator, id: string, action: SimActionName, fault: CameraFaultKind, on: boolean): Promise<void> {
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
        return on ? fleet.setFault(id, fault) : fleet.restore(id, fault);
      default:
        throw invalid(`'${action}' does not apply to a camera`);
    }
  }
}
