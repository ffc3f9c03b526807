/** Configuration of the camera-onvif adapter and the options of each camera device. */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { checkConfig } from '../../gateway/contract/config-check.js';
import { CAMERA_ERRORS } from './errors.js';

export const CameraOnvifConfigSchema = Type.Object(
  {
    /** Named endpoints (NVR, camera gateway) devices may refer to with `options.endpoint`. */
    endpoints: Type.Record(
      Type.String(),
      Type.Object({ host: Type.String({ minLength: 1 }), port: Type.Integer({ minimum: 1, maximum: 65535 }) }, { additionalProperties: false }),
      { default: {} },
    ),
    checkIntervalSeconds: Type.Integer({ minimum: 0, default: 60, description: 'Background check of every camera; 0 disables' }),
    checkTimeoutMs: Type.Integer({ minimum: 1000, default: 20_000, description: 'Whole check of one camera, from when it gets a slot' }),
    requestTimeoutMs: Type.Integer({ minimum: 100, default: 5000, description: 'One ONVIF SOAP request' }),
    streamTimeoutMs: Type.Integer({ minimum: 500, default: 8000, description: 'RTSP connect plus first frames' }),
    concurrency: Type.Integer({ minimum: 1, maximum: 256, default: 4, description: 'Cameras checked at once (each runs one ffmpeg)' }),
    probeSeconds: Type.Number({ minimum: 0.2, maximum: 10, default: 1.5, description: 'Seconds of video decoded per check (at least 1 s so an on-screen clock changes)' }),
    clockDriftSeconds: Type.Number({ minimum: 0, default: 30, description: 'Allowed camera clock offset' }),
    blackThreshold: Type.Number({ minimum: 0, maximum: 1, default: 0.1, description: 'Mean luma below which the picture is black' }),
    frozenMaxDelta: Type.Integer({ minimum: 0, maximum: 255, default: 6, description: 'Largest pixel change (0-255) that still counts as the same picture' }),
    frozenMinSpanMs: Type.Integer({ minimum: 0, default: 1000, description: 'Frames at least this far apart within one check are compared' }),
    changedThreshold: Type.Number({ minimum: 0, maximum: 2, default: 0.5, description: 'Dissimilarity to the reference picture above which the view changed' }),
    pictureSource: Type.Union([Type.Literal('stream'), Type.Literal('snapshot')], { default: 'stream', description: 'Where the analysed picture comes from' }),
    rtspTransport: Type.Union([Type.Literal('tcp'), Type.Literal('udp')], { default: 'tcp' }),
    ffmpegPath: Type.Optional(Type.String({ minLength: 1, description: 'Default: $FFMPEG_PATH, else ffmpeg on PATH, else the one npm install brings (@ffmpeg-installer/ffmpeg)' })),
    events: Type.Boolean({ default: true, description: 'Subscribe to ONVIF events (tamper, video loss)' }),
    liveView: Type.Object(
      {
        maxStreams: Type.Integer({ minimum: 0, maximum: 64, default: 4, description: 'Cameras streamed to the dashboard at once (each runs one ffmpeg re-encoding video); 0 turns live view off' }),
        width: Type.Integer({ minimum: 16, maximum: 1920, multipleOf: 2, default: 640, description: 'Picture width sent to viewers (scaled and padded)' }),
        height: Type.Integer({ minimum: 16, maximum: 1080, multipleOf: 2, default: 360, description: 'Picture height sent to viewers' }),
        bitrateKbps: Type.Integer({ minimum: 100, maximum: 20_000, default: 1000, description: 'MPEG-1 bit rate per stream' }),
        idleSeconds: Type.Number({ minimum: 1, maximum: 600, default: 10, description: 'A stream nobody watches is stopped after this' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);
export type CameraOnvifConfig = Static<typeof CameraOnvifConfigSchema>;


/** Defaults applied and validated, for callers that do not go through the gateway's loader. */
export function cameraOnvifConfig(partial: Partial<CameraOnvifConfig> = {}): CameraOnvifConfig {
  return checkConfig(CameraOnvifConfigSchema, partial, 'camera-onvif');
}

export const CameraDeviceOptionsSchema = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 80 }),
    username: Type.String({ default: '' }),
    password: Type.String({ default: '' }),
    path: Type.String({ pattern: '^/', default: '/onvif/device_service' }),
    /** Media profile to check; the first profile (usually the main stream) otherwise. */
    profileToken: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: true },
);
export type CameraDeviceOptions = Static<typeof CameraDeviceOptionsSchema>;

const optionsCheck = TypeCompiler.Compile(CameraDeviceOptionsSchema);

/**
 * A device's connection options. `options.endpoint` names an entry of the adapter's
 * `endpoints` (an NVR or a camera gateway serving many cameras) instead of `host`/`port`.
 */
export function parseDeviceOptions(deviceId: string, options: Record<string, unknown>, endpoints: Record<string, { host: string; port: number }> = {}): CameraDeviceOptions {
  let raw = structuredClone(options);
  if (raw.endpoint !== undefined) {
    const named = typeof raw.endpoint === 'string' ? endpoints[raw.endpoint] : undefined;
    if (!named) throw CAMERA_ERRORS.error('GW_ERR_CAMERA_OPTIONS', `${deviceId}: options.endpoint: unknown endpoint ${JSON.stringify(raw.endpoint)} (declared: ${Object.keys(endpoints).join(', ') || '(none)'})`);
    raw = { ...raw, host: named.host, port: named.port };
  }
  const value: unknown = Value.Default(CameraDeviceOptionsSchema, raw);
  if (!optionsCheck.Check(value)) {
    const errors = [...optionsCheck.Errors(value)].map((e) => `options${e.path}: ${e.message}`);
    throw CAMERA_ERRORS.error('GW_ERR_CAMERA_OPTIONS', `${deviceId}: ${errors.join('; ')}`);
  }
  return value;
}
