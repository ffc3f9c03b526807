/**
 * v1 payload schemas per device kind (DESIGN.md "MQTT topics"). Extend, never break: new
 * optional fields may be added; unknown scalar fields are kept as data.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { MAX_DEVICE_TIME_MS } from '../../gateway/contract/adapter.js';
import { DEVICE_KINDS, type DeviceKind, type DiscreteEventType } from '../../gateway/contract/vocabulary.js';


const Common = {
  at: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_DEVICE_TIME_MS, description: 'device time, ms since epoch' })),
  seq: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1, description: 'device counter, drops duplicates' })),
  code: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Integer()])),
  detail: Type.Optional(Type.String({ maxLength: 256 })),
};
const ExtraScalar = Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]);

const eventSchema = (types: string[]) =>
  Type.Object({ type: Type.Union(types.map((t) => Type.Literal(t))), ...Common }, { additionalProperties: ExtraScalar });

/** Discrete events each kind may send over the v1 topics (a subset of the vocabulary's). */
export const EVENT_TYPES: Record<DeviceKind, DiscreteEventType[]> = {
  'alarm-button': ['press', 'cancel', 'test', 'fault', 'fault-cleared', 'tamper', 'tamper-cleared', 'self-test'],
  barrier: ['raised', 'lowered', 'moving', 'impact', 'fault', 'fault-cleared', 'tamper', 'tamper-cleared', 'manual-override'],
  camera: ['tamper', 'tamper-cleared', 'video-loss', 'video-restored', 'motion', 'fault', 'fault-cleared'],
  nvr: ['fault', 'fault-cleared'],
  sms: ['fault', 'fault-cleared'],
  radio: ['press', 'emergency-call', 'fault', 'fault-cleared'],
  'alarm-centre': ['fault', 'fault-cleared'],
};

const Sim = Type.Object(
  {
    status: Type.String({ maxLength: 32, description: 'active, suspended (欠费停机), arrears, barred…' }),
    iccid: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{10,22}$' })),
    expires: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
  },
  { additionalProperties: false },
);

const TELEMETRY: Record<DeviceKind, Record<string, TSchema>> = {
  'alarm-button': {
    battery: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    rssi: Type.Optional(Type.Number({ minimum: -150, maximum: 0 })),
    power: Type.Optional(Type.Union([Type.Literal('mains'), Type.Literal('battery')])),
    sim: Type.Optional(Sim),
  },
  barrier: {
    position: Type.Optional(Type.Union(['raised', 'lowered', 'moving', 'fault', 'unknown'].map((p) => Type.Literal(p)))),
    pressure: Type.Optional(Type.Number()),
    current: Type.Optional(Type.Number()),
    impactCount: Type.Optional(Type.Integer({ minimum: 0 })),
    manualOverride: Type.Optional(Type.Boolean()),
  },
  camera: {
    fps: Type.Optional(Type.Number({ minimum: 0 })),
    bitrate: Type.Optional(Type.Number({ minimum: 0 })),
  },
  nvr: {},
  sms: {},
  radio: { battery: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })) },
  'alarm-centre': {},
};

function perKind(make: (kind: DeviceKind) => TSchema): Record<DeviceKind, TSchema> {
  const out: Partial<Record<DeviceKind, TSchema>> = {};
  for (const kind of DEVICE_KINDS) out[kind] = make(kind);
  return out as Record<DeviceKind, TSchema>;
}

export const eventSchemas = perKind((kind) => eventSchema(EVENT_TYPES[kind]));

export const telemetrySchemas = perKind((kind) =>
  Type.Object({ ...TELEMETRY[kind], at: Common.at, seq: Common.seq }, { additionalProperties: ExtraScalar }),
);
