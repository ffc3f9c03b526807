/**
 * The control's view of the simulated district's own devices: MQTT devices (buttons, MQTT
 * barriers…), the radio box, the vendor DC-09 panels and the GB/T 28181 NVRs with their
 * channels, each with its state and actions.
 */
import { FLOOD_MAX, simulatorRefusal, type SimActionName, type SimActionRequest, type SimState } from '../gateway/contract/simulator-port.js';
import type { Device } from '../gateway/contract/types.js';
import { BUTTON_FAULTS, SimulatedButton } from './alarm-button.js';
import { GB_NVR_FAULTS, type GbNvrFault, type GbNvrSimulator } from './camera-gb28181/nvr-simulator.js';
import type { DistrictSimulator } from './district.js';
import { SimulatedGenericDevice } from './generic-device.js';
import { deviceView, type ControlTarget, type SimControls } from './plugin.js';

const MQTT_COMMON: SimActionName[] = ['drop', 'restore', 'freeze', 'malformed', 'flood'];
const ACTIONS = {
  button: ['press', 'test-press', 'fault', ...MQTT_COMMON],
  mqttBarrier: ['lower', 'raise', 'impact', ...MQTT_COMMON],
  mqtt: MQTT_COMMON,
  panel: ['press', 'test-press'],
  radio: ['drop', 'restore'],
  gbNvr: ['drop', 'restore', 'fault'],
  gbChannel: ['drop', 'restore'],
} satisfies Record<string, SimActionName[]>;
/** MQTT actions that publish, so need the device connected. */
const NEEDS_LINK = new Set<SimActionName>(['press', 'test-press', 'malformed', 'flood', 'lower', 'raise', 'impact']);

/** The district simulator that plays each adapter's devices. */
const SIMULATED_BY: Readonly<Record<string, 'mqtt' | 'panel' | 'radio'>> = { 'mqtt-native': 'mqtt', 'panel-dc09': 'panel', radio: 'radio' };

const invalid = (message: string) => simulatorRefusal('invalid', message);

function mqttTarget(device: Device, district: DistrictSimulator): ControlTarget {
  const id = device.id;
  return {
    view: () => {
      const sim = district.device(id);
      const state: SimState = sim.isFrozen && sim.state === 'online' ? 'frozen' : sim.state;
      const kind = device.kind;
      const barrier = sim instanceof SimulatedGenericDevice && kind === 'barrier' ? { barrier: sim.barrierState() } : {};
      const button = sim instanceof SimulatedButton && sim.acks.length > 0 ? { button: { acks: sim.acks.map((a) => ({ ...a })) } } : {};
      const actions = kind === 'alarm-button' ? ACTIONS.button : kind === 'barrier' ? ACTIONS.mqttBarrier : ACTIONS.mqtt;
      return { ...deviceView(device, 'mqtt-device', state, [...sim.faults], actions, kind === 'alarm-button' ? [...BUTTON_FAULTS] : []), ...barrier, ...button };
    },
    act: (req) => performMqtt(id, district, req),
  };
}

async function performMqtt(id: string, district: DistrictSimulator, req: SimActionRequest): Promise<void> {
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
      const count = Math.min(req.count ?? 0, FLOOD_MAX);
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

function panelTarget(device: Device, district: DistrictSimulator): ControlTarget {
  return {
    view: () => deviceView(device, 'dc09-panel', 'online', [], ACTIONS.panel, []),
    act: async ({ action }) => {
      if (action === 'press') await district.press(device.id);
      else await district.panel(device.id).test('manual');
    },
  };
}

function radioTarget(device: Device, district: DistrictSimulator): ControlTarget {
  return {
    view: () => deviceView(device, 'radio-box', district.radio(device.id).connected ? 'online' : 'dropped', [], ACTIONS.radio, []),
    act: async ({ action }) => {
      if (action === 'drop') district.radio(device.id).drop();
      else await district.radio(device.id).restore();
    },
  };
}

function gbNvrTarget(device: Device, nvr: GbNvrSimulator): ControlTarget {
  return {
    view: () => {
      const faults = nvr.activeFaults();
      // A silent NVR is registered but says nothing: frozen, in the port's words.
      const state: SimState = !nvr.registered ? 'offline' : faults.includes('silent') ? 'frozen' : 'online';
      return deviceView(device, 'gb-nvr', state, [...faults], ACTIONS.gbNvr, [...GB_NVR_FAULTS]);
    },
    act: async (req) => {
      switch (req.action) {
        case 'drop':
          return nvr.setFault('silent', true);
        case 'restore':
          for (const f of GB_NVR_FAULTS) nvr.setFault(f, false);
          if (!nvr.registered) await nvr.register();
          return;
        case 'fault':
          nvr.setFault(req.fault as GbNvrFault, req.on ?? true);
          // A password change shows at the next REGISTER: send it now.
          if (req.fault === 'wrong-password') await nvr.register();
          return;
        default:
          throw invalid(`'${req.action}' does not apply to a GB/T 28181 NVR`);
      }
    },
  };
}

function gbChannelTarget(device: Device, nvr: GbNvrSimulator, channelId: string): ControlTarget {
  return {
    view: () => {
      const on = nvr.channelStates().find((c) => c.id === channelId)?.on ?? false;
      return deviceView(device, 'gb-nvr', on ? 'online' : 'offline', on ? [] : ['channel-off'], ACTIONS.gbChannel, []);
    },
    act: async (req) => nvr.setChannel(channelId, req.action !== 'drop'),
  };
}

/** A GB/T 28181 NVR the district plays, or one of its channels (a camera device). */
function gbTarget(device: Device, district: DistrictSimulator): ControlTarget | undefined {
  const gbId = typeof device.options.gbId === 'string' ? device.options.gbId : '';
  for (const [nvrDeviceId, nvr] of district.gbNvrList()) {
    if (nvrDeviceId === device.id) return gbNvrTarget(device, nvr);
    if (nvr.channelStates().some((c) => c.id === gbId)) return gbChannelTarget(device, nvr, gbId);
  }
  return undefined;
}

/** The district's devices as the control sees them (only while it runs, and only what it plays). */
export function districtControls(district: DistrictSimulator): SimControls {
  return {
    device: (device) => {
      if (device.adapter === 'camera-gb28181') return gbTarget(device, district);
      const simulated = district.simulates(device.id);
      if (!simulated || SIMULATED_BY[device.adapter] !== simulated) return undefined;
      if (simulated === 'mqtt') return mqttTarget(device, district);
      return simulated === 'panel' ? panelTarget(device, district) : radioTarget(device, district);
    },
  };
}
