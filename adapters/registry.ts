/**
 * Every adapter the gateway knows, in one list: its type and how to load it. Adding a vendor is
 * one folder and one line here (a test checks that every folder under adapters/ is listed, and
 * that each line loads the adapter of its type).
 *
 * An adapter's module, with its protocol stack (SIP, Modbus, SMPP, CMPP, DC-09, ONVIF…), is
 * loaded only when a device or the configuration names it: importing all ten cost ~17 MB of RSS
 * and ~6 MB of JS heap more than mqtt-native alone (tsx, measured for issue 19), paid by every
 * gateway whatever it runs.
 */
import type { AdapterFactory } from '../gateway/contract/adapter.js';

type Loader = () => Promise<AdapterFactory<never>>;
// Factories are typed by their own config; the list only needs what they share.
const factory = (f: unknown): AdapterFactory<never> => f as AdapterFactory<never>;

export const ADAPTER_LOADERS: Readonly<Record<string, Loader>> = {
  'mqtt-native': async () => factory((await import('./mqtt-native/index.js')).mqttNativeAdapter),
  'alarm-centre-dc09': async () => factory((await import('./alarm-centre-dc09/index.js')).alarmCentreDc09Adapter),
  'barrier-modbus': async () => factory((await import('./barrier-modbus/index.js')).barrierModbusAdapter),
  'camera-onvif': async () => factory((await import('./camera-onvif/index.js')).cameraOnvifAdapter),
  'camera-gb28181': async () => factory((await import('./camera-gb28181/index.js')).cameraGb28181Adapter),
  'sms-smpp': async () => factory((await import('./sms-smpp/index.js')).smsSmppAdapter),
  'sms-cmpp': async () => factory((await import('./sms-cmpp/index.js')).smsCmppAdapter),
  radio: async () => factory((await import('./radio/index.js')).radioAdapter),
  'panel-dc09': async () => factory((await import('./panel-dc09/index.js')).panelDc09Adapter),
  'barrier-http-acme': async () => factory((await import('./barrier-http-acme/index.js')).barrierHttpAcmeAdapter),
};

export const ADAPTER_TYPES: readonly string[] = Object.keys(ADAPTER_LOADERS);

/** The adapter of `type`, loaded on first use; undefined for a type no adapter has. */
export async function findAdapter(type: string): Promise<AdapterFactory<never> | undefined> {
  const load = Object.hasOwn(ADAPTER_LOADERS, type) ? ADAPTER_LOADERS[type] : undefined;
  return load ? load() : undefined;
}

/** Every adapter, loaded (tests and tools that look at all of them). */
export function loadAllAdapters(): Promise<AdapterFactory<never>[]> {
  return Promise.all(ADAPTER_TYPES.map((type) => (ADAPTER_LOADERS[type] as Loader)()));
}
