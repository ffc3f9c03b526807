/** Configuration of the camera-gb28181 adapter (the gateway as a GB/T 28181 upper platform). */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { GatewayError } from '../../gateway/contract/errors.js';

const GbIdString = Type.String({ pattern: '^\\d{20}$', description: '20-digit GB/T 28181 id' });

export const CameraGb28181ConfigSchema = Type.Object(
  {
    sipId: Type.String({ pattern: '^\\d{10}200\\d{7}$', default: '34020000002000000001', description: "The gateway's own id (type 200: SIP server / platform)" }),
    domain: Type.Optional(Type.String({ pattern: '^\\d{10}$', description: 'SIP domain and digest realm (default: the first 10 digits of sipId)' })),
    host: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Address the SIP server binds (UDP and TCP)' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 5060, description: 'SIP port, UDP and TCP alike (0: ephemeral)' }),
    transports: Type.Array(Type.Union([Type.Literal('udp'), Type.Literal('tcp')]), { minItems: 1, maxItems: 2, uniqueItems: true, default: ['udp', 'tcp'] }),
    /** Address put in SIP headers and SDP for devices to reach the gateway (the bound host when it is not a wildcard). */
    advertisedHost: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String({ minLength: 1, description: 'Digest password of every device without its own' })),
    passwords: Type.Record(Type.String({ pattern: '^\\d{20}$' }), Type.String({ minLength: 1 }), { default: {}, description: "Per-device digest passwords, by the device's GB id" }),
    registerExpires: Type.Object(
      {
        min: Type.Integer({ minimum: 1, default: 60, description: 'Shorter Expires are refused with 423 (RFC 3261 §10.3)' }),
        max: Type.Integer({ minimum: 1, default: 86_400, description: 'Longer Expires are shortened' }),
      },
      { additionalProperties: false, default: {} },
    ),
    keepalive: Type.Object(
      {
        intervalSeconds: Type.Number({ minimum: 0.05, default: 60, description: 'Expected keepalive period (GB/T 28181-2016 §9.6: 60 s)' }),
        misses: Type.Integer({ minimum: 1, default: 3, description: 'Keepalives missed before the device is offline (§9.6: 3)' }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Channels to cameras: an explicit table first, then the longest matching id prefix. */
    channels: Type.Record(GbIdString, Type.Object({ siteId: Type.String({ minLength: 1 }), deviceId: Type.Optional(Type.String({ minLength: 1 })), name: Type.Optional(Type.String()) }, { additionalProperties: false }), { default: {} }),
    prefixes: Type.Record(Type.String({ pattern: '^\\d{1,20}$' }), Type.String({ minLength: 1 }), { default: {}, description: 'GB id prefix → site id, for devices and channels not configured' }),
    catalogOnRegister: Type.Boolean({ default: true }),
    subscribeCatalog: Type.Boolean({ default: true, description: 'SUBSCRIBE to catalog changes after registration (2016 §9.11)' }),
    requestTimeoutMs: Type.Integer({ minimum: 100, default: 5000, description: 'One MESSAGE/INVITE transaction' }),
    clockDriftSeconds: Type.Number({ minimum: 0, default: 30 }),
    checkTimeoutMs: Type.Integer({ minimum: 500, default: 10_000, description: 'A sweep check of one device (DeviceInfo + DeviceStatus)' }),
    media: Type.Object(
      {
        transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp')], { default: 'udp', description: 'RTP over UDP, or TCP with the gateway listening (a=setup:passive)' }),
        host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address the RTP receivers bind (and SDP offers, unless advertisedHost)' }),
        startTimeoutMs: Type.Integer({ minimum: 500, default: 10_000, description: 'INVITE answered and first RTP packets' }),
      },
      { additionalProperties: false, default: {} },
    ),
    ffmpegPath: Type.Optional(Type.String({ minLength: 1 })),
    liveView: Type.Object(
      {
        maxStreams: Type.Integer({ minimum: 0, maximum: 64, default: 4, description: 'Channels streamed to the dashboard at once (each runs one ffmpeg); 0 turns live view off' }),
        width: Type.Integer({ minimum: 16, maximum: 1920, multipleOf: 2, default: 640 }),
        height: Type.Integer({ minimum: 16, maximum: 1080, multipleOf: 2, default: 360 }),
        bitrateKbps: Type.Integer({ minimum: 100, maximum: 20_000, default: 1000 }),
        idleSeconds: Type.Number({ minimum: 0.1, maximum: 600, default: 10, description: 'A stream nobody watches is stopped (BYE) after this' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);
export type CameraGb28181Config = Static<typeof CameraGb28181ConfigSchema>;

const check = TypeCompiler.Compile(CameraGb28181ConfigSchema);

/** Defaults applied and validated, for callers that do not go through the gateway's loader. */
export function gb28181Config(partial: Record<string, unknown> = {}): CameraGb28181Config {
  const value: unknown = Value.Default(CameraGb28181ConfigSchema, structuredClone(partial));
  if (!check.Check(value)) {
    const errors = [...check.Errors(value)].map((e) => `${e.path}: ${e.message}`);
    throw new GatewayError('GW_ERR_CONFIG_INVALID', `camera-gb28181 ${errors.join('; ')}`, { details: errors });
  }
  return value;
}

/** Device options: `gbId` (the device's or channel's 20-digit id), keepalive overrides for a recorder. */
export interface GbDeviceOptions {
  gbId?: string;
  keepaliveSeconds?: number;
  keepaliveMisses?: number;
}

export function deviceGbId(options: Record<string, unknown>): string | undefined {
  const id = options.gbId;
  return typeof id === 'string' && /^\d{20}$/.test(id) ? id : undefined;
}
