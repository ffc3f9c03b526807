/**
 * Device state that must outlive a restart and be the same on every node (the last end-to-end
 * 110 test of each button): small JSON values by device and key.
 */
export interface DeviceStateRepository {
  setDeviceState(deviceId: string, key: string, value: unknown): Promise<void>;
  /** Every device's value under `key`. */
  deviceStates<T>(key: string): Promise<Map<string, T>>;
}
