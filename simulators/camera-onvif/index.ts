/** Simulated ONVIF cameras for tests, the district scenario and benchmarks. */
export { CameraSimulator, type CameraSimulatorOptions } from './camera.js';
export { CameraFleetSimulator, type CameraDeviceOptions, type CameraFleetOptions } from './fleet.js';
export { FAULT_KINDS, HEALTHY_STATE, type CameraFault, type CameraFaultKind, type CameraSpec, type CameraState, type CameraUrls } from './sim-camera.js';
export { PICTURE_KINDS, type PictureKind } from './video-feeds.js';
