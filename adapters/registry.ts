/**
 * Every adapter the gateway knows, in one list. Adding a vendor is one folder and one line
 * here (a test checks that every folder under adapters/ is listed).
 */
import type { AdapterFactory } from '../gateway/contract/adapter.js';
import { alarmCentreDc09Adapter } from './alarm-centre-dc09/index.js';
import { barrierModbusAdapter } from './barrier-modbus/index.js';
import { barrierHttpAcmeAdapter } from './barrier-http-acme/index.js';
import { cameraGb28181Adapter } from './camera-gb28181/index.js';
import { cameraOnvifAdapter } from './camera-onvif/index.js';
import { mqttNativeAdapter } from './mqtt-native/index.js';
import { panelDc09Adapter } from './panel-dc09/index.js';
import { radioAdapter } from './radio/index.js';
import { smsCmppAdapter } from './sms-cmpp/index.js';
import { smsSmppAdapter } from './sms-smpp/index.js';

// Factories are typed by their own config; the list only needs what they share.
export const ADAPTERS: readonly AdapterFactory<never>[] = [
  mqttNativeAdapter,
  alarmCentreDc09Adapter,
  barrierModbusAdapter,
  cameraOnvifAdapter,
  cameraGb28181Adapter,
  smsSmppAdapter,
  smsCmppAdapter,
  radioAdapter,
  panelDc09Adapter,
  barrierHttpAcmeAdapter,
] as unknown as AdapterFactory<never>[];

export function findAdapter(type: string): AdapterFactory<never> | undefined {
  return ADAPTERS.find((a) => a.type === type);
}
