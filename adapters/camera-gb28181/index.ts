/**
 * camera-gb28181: the gateway as a GB/T 28181 (2016/2022) upper platform that school NVRs and
 * IPCs register to over SIP (UDP and TCP). See README.md.
 */
import type { AdapterContext, AdapterFactory } from '../../gateway/contract/adapter.js';
import { CAMERA_GB28181_TYPE, CameraGb28181Adapter } from './adapter.js';
import { CameraGb28181ConfigSchema, type CameraGb28181Config } from './config.js';
import { GB_ERRORS } from './errors.js';

export type CameraGb28181Factory = Omit<AdapterFactory<CameraGb28181Config>, 'create'> & {
  create(config: CameraGb28181Config, ctx: AdapterContext): CameraGb28181Adapter;
};

export const cameraGb28181Adapter: CameraGb28181Factory = {
  type: CAMERA_GB28181_TYPE,
  description: 'GB/T 28181 video: NVRs and IPCs register to the gateway (SIP, digest), keep alive, list their channels, report alarms and stream PS over RTP to the live view',
  kinds: ['camera', 'nvr'],
  availability: 'active',
  cluster: 'singleton',
  configSchema: CameraGb28181ConfigSchema,
  errors: GB_ERRORS,
  create: (config: CameraGb28181Config, ctx: AdapterContext) => new CameraGb28181Adapter(config, ctx),
};

// The registry holds it as an AdapterFactory: keep it one.
const _contract: AdapterFactory<CameraGb28181Config> = cameraGb28181Adapter;

export { CAMERA_GB28181_TYPE, CameraGb28181Adapter } from './adapter.js';
export { CameraGb28181ConfigSchema, gb28181Config, type CameraGb28181Config } from './config.js';
export { GB_ERRORS } from './errors.js';
