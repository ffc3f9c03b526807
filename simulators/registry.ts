/**
 * Every far-end simulator, in one list: adding one is a folder with its plugin.ts and one line
 * here (simulators/far-ends.ts starts them, simulators/control.ts shows them to testers).
 * The simulated district's own devices (MQTT devices, the radio box, DC-09 panels) are played
 * by simulators/district.ts.
 */
import { alarmCentreSimulator } from './alarm-centre/plugin.js';
import { barrierModbusSimulator } from './barrier-modbus/plugin.js';
import { acmeGateKeeperSimulator } from './barrier-http-acme/plugin.js';
import { cameraOnvifSimulator } from './camera-onvif/plugin.js';
import type { SimulatorPlugin } from './plugin.js';
import { smsCentreSimulator } from './sms-centre/plugin.js';
import { cmppIsmgSimulator } from './sms-cmpp/plugin.js';

export const SIMULATORS: readonly SimulatorPlugin[] = [alarmCentreSimulator, smsCentreSimulator, barrierModbusSimulator, cameraOnvifSimulator, acmeGateKeeperSimulator, cmppIsmgSimulator];
