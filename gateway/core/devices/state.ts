/**
 * Device state that must outlive a restart and be the same on every node (the last end-to-end
 * 110 test of each button): small JSON values by device and key.
 */
export interface DeviceStateRepository {
  setDeviceState(deviceId: string, key: string, value: unknown): Promise<void>;
  /**
   * Many devices' values under one `key`, in one transaction: the device readings of a whole
   * district are written every few seconds, and one commit per device cost the event loop more
   * than the readings themselves (press-110 profile at 10,000 devices: SQLite 8 % of the main
   * thread, from 2,000 commits/s).
   */
  setDeviceStates(key: string, values: ReadonlyArray<readonly [deviceId: string, value: unknown]>): Promise<void>;
  /** Every device's value under `key`. */
  deviceStates<T>(key: string): Promise<Map<string, T>>;
}
