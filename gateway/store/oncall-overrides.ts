/**
 * On-call overrides in the state store: each override is a small JSON value of the store's
 * device-state table under the key `oncall-override` (the row's id is the override's id), so
 * SQLite and PostgreSQL keep them without a migration and every node reads the same ones.
 */
import type { DeviceStateRepository } from '../core/devices/state.js';
import type { OnCallOverride, OnCallRepository } from '../core/oncall/service.js';

const KEY = 'oncall-override';

export function onCallOverrideStore(store: DeviceStateRepository): OnCallRepository {
  return {
    listOverrides: async () => [...(await store.deviceStates<OnCallOverride>(KEY)).values()],
    saveOverride: (o) => store.setDeviceState(o.id, KEY, o),
  };
}
