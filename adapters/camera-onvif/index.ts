/**
 * camera-onvif: IP cameras checked the way a person would (ONVIF answers, clock, credentials,
 * stream URI, video really arriving, picture black/frozen/moved), with ONVIF tamper and
 * video-loss events. See README.md.
 */
import type { AdapterContext, AdapterFactory } from '../../gateway/contract/adapter.js';
import { CAMERA_ONVIF_TYPE, CameraOnvifAdapter } from './adapter.js';
import { CameraOnvifConfigSchema, type CameraOnvifConfig } from './config.js';
import { CAMERA_ERRORS } from './errors.js';

/** The factory; `create` returns the concrete adapter, which also offers resetReference(). */
export type CameraOnvifFactory = Omit<AdapterFactory<CameraOnvifConfig>, 'create'> & {
  create(config: CameraOnvifConfig, ctx: AdapterContext): CameraOnvifAdapter;
};

export const cameraOnvifAdapter: CameraOnvifFactory = {
  type: CAMERA_ONVIF_TYPE,
  description: 'ONVIF IP cameras: health checks over ONVIF and RTSP with picture analysis, tamper and video-loss events',
  kinds: ['camera'],
  availability: 'active',
  cluster: 'singleton',
  configSchema: CameraOnvifConfigSchema,
  errors: CAMERA_ERRORS,
  create: (config: CameraOnvifConfig, ctx: AdapterContext) => new CameraOnvifAdapter(config, ctx),
};

// The registry holds it as an AdapterFactory: keep it one.
const _contract: AdapterFactory<CameraOnvifConfig> = cameraOnvifAdapter;

export { CAMERA_ONVIF_TYPE, CameraOnvifAdapter } from './adapter.js';
export { CAMERA_CONDITIONS } from './conditions.js';
export { cameraOnvifConfig, CameraDeviceOptionsSchema, CameraOnvifConfigSchema, type CameraDeviceOptions, type CameraOnvifConfig } from './config.js';
export { CAMERA_ERRORS, type CameraErrorCode } from './errors.js';
export { LiveViewManager, type LiveViewHandle, type LiveViewOptions } from './live-view.js';
export type { StreamSource } from './stream-source.js';
