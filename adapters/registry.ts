/**
 * Every adapter the gateway knows, in one list. Adding a vendor is one folder and one line
 * here (a test checks that every folder under adapters/ is listed).
 */
import type { AdapterFactory } from './types.js';
import { mqttNativeAdapter } from './mqtt-native/index.js';

export const ADAPTERS: readonly AdapterFactory<never>[] = [mqttNativeAdapter as AdapterFactory<never>];

export function findAdapter(type: string): AdapterFactory<never> | undefined {
  return ADAPTERS.find((a) => a.type === type);
}
