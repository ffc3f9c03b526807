/**
 * Configuration of the barrier-modbus adapter: per vendor model register maps, polling and
 * reconnect settings. Addresses are PDU addresses (0-based), as on the wire (Modbus
 * Application Protocol V1.1b3 §4.4: "the address of the first register is 0").
 */
import { Type, type Static } from '@sinclair/typebox';

export const POSITION_STATES = ['raised', 'lowered', 'moving', 'fault', 'unknown'] as const;
export type PositionState = (typeof POSITION_STATES)[number];

/** States a register value may map to; `unknown` is what an unmapped value means. */
const MappedState = Type.Union([Type.Literal('raised'), Type.Literal('lowered'), Type.Literal('moving'), Type.Literal('fault')], {
  description: 'raised, lowered, moving or fault',
});

const Address = Type.Integer({ minimum: 0, maximum: 65535, description: 'PDU address, 0-based' });
const RegisterTable = Type.Union([Type.Literal('holding'), Type.Literal('input')], { description: 'holding or input' });

const PositionMap = Type.Object(
  {
    table: Type.Optional(RegisterTable),
    address: Address,
    /** Register value (decimal string) → state. */
    values: Type.Record(Type.String(), MappedState),
  },
  { additionalProperties: false },
);

const FaultMap = Type.Object(
  {
    table: Type.Optional(RegisterTable),
    address: Address,
    /** Bit number (0 = least significant, as a string) → fault name. */
    bits: Type.Record(Type.String(), Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,47}$' })),
  },
  { additionalProperties: false },
);

const AnalogMap = Type.Object(
  {
    /** Telemetry field name: hydraulic pressure or motor current. */
    kind: Type.Union([Type.Literal('pressure'), Type.Literal('current')], { description: 'pressure or current' }),
    table: Type.Optional(RegisterTable),
    address: Address,
    /** Engineering value = raw × scale + offset. */
    scale: Type.Number(),
    offset: Type.Optional(Type.Number()),
    signed: Type.Optional(Type.Boolean()),
    unit: Type.String({ minLength: 1 }),
    /** Below `min` (e.g. hydraulic pressure too low to stop a vehicle) counts as fault `<kind>-low`. */
    min: Type.Optional(Type.Number()),
    /** Above `max` (e.g. motor current of a jammed drive) counts as fault `<kind>-high`. */
    max: Type.Optional(Type.Number()),
    /** A low/high fault clears only once the value is back inside by this much. */
    hysteresis: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);

const CounterMap = Type.Object(
  { table: Type.Optional(RegisterTable), address: Address },
  { additionalProperties: false },
);

const FlagMap = Type.Union([
  Type.Object({ coil: Address }, { additionalProperties: false }),
  Type.Object({ discreteInput: Address }, { additionalProperties: false }),
  Type.Object(
    { table: Type.Optional(RegisterTable), register: Address, bit: Type.Integer({ minimum: 0, maximum: 15 }) },
    { additionalProperties: false },
  ),
], { description: '{coil}, {discreteInput} or {register, bit, table?}' });

/** A command is a coil written ON (FC 05) or a value written to a holding register (FC 06). */
const CommandMap = Type.Union([
  Type.Object({ coil: Address }, { additionalProperties: false }),
  Type.Object({ register: Address, value: Type.Integer({ minimum: 0, maximum: 65535 }) }, { additionalProperties: false }),
], { description: '{coil} or {register, value}' });

export const BarrierModelSchema = Type.Object(
  {
    description: Type.Optional(Type.String()),
    position: PositionMap,
    faults: FaultMap,
    analog: AnalogMap,
    impactCounter: CounterMap,
    manualOverride: FlagMap,
    commands: Type.Object({ raise: CommandMap, lower: CommandMap }, { additionalProperties: false }),
    /** Longest travel the vendor specifies; a command not completed by then has failed. */
    travelTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type BarrierModel = Static<typeof BarrierModelSchema>;
export type RegisterTableName = Static<typeof RegisterTable>;
export type FlagRef = Static<typeof FlagMap>;
export type CommandRef = Static<typeof CommandMap>;

/**
 * The register map the simulator implements (`simulators/barrier-modbus/`), documented in
 * this folder's README. Also a template for real vendors' maps.
 */
export const SIM_RB1_MODEL: BarrierModel = {
  description: 'Reference road blocker (simulator): hydraulic, coil commands',
  position: { table: 'holding', address: 0, values: { '1': 'raised', '2': 'lowered', '3': 'moving', '4': 'moving', '5': 'fault' } },
  faults: {
    table: 'holding',
    address: 1,
    bits: {
      '0': 'hydraulic-pressure-low',
      '1': 'motor-overload',
      '2': 'limit-switch',
      '3': 'emergency-stop',
      '4': 'power-failure',
    },
  },
  analog: { kind: 'pressure', table: 'input', address: 0, scale: 0.1, unit: 'bar', min: 80, hysteresis: 5 },
  impactCounter: { table: 'holding', address: 2 },
  manualOverride: { table: 'holding', register: 3, bit: 0 },
  commands: { raise: { coil: 0 }, lower: { coil: 1 } },
  travelTimeoutMs: 10_000,
};

export const BarrierModbusConfigSchema = Type.Object(
  {
    /** Vendor model name → register map. Devices name their model in `options.model`. */
    models: Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }), BarrierModelSchema, {
      default: { 'sim-rb1': SIM_RB1_MODEL },
      // Without it a Record lets keys that miss the pattern through unchecked.
      additionalProperties: false,
    }),
    /**
     * Named Modbus TCP endpoints (a PLC or a Modbus gateway with many barriers behind it);
     * a device may give `options.controller` instead of `host`/`port`.
     */
    controllers: Type.Record(
      Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }),
      Type.Object({ host: Type.String({ minLength: 1 }), port: Type.Integer({ minimum: 1, maximum: 65535 }) }, { additionalProperties: false }),
      { default: {}, additionalProperties: false },
    ),
    pollIntervalMs: Type.Integer({ minimum: 10, default: 1000 }),
    /** Per request (and per connect) timeout. */
    timeoutMs: Type.Integer({ minimum: 10, default: 800 }),
    reconnect: Type.Object(
      {
        minMs: Type.Integer({ minimum: 1, default: 500 }),
        maxMs: Type.Integer({ minimum: 1, default: 30_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Consecutive failed polls before a barrier is `unreachable`. */
    failedPollsForUnreachable: Type.Integer({ minimum: 1, default: 3 }),
    /** How long a raise/lower may take to be seen at its target, unless the model says otherwise. */
    commandTimeoutMs: Type.Integer({ minimum: 10, default: 10_000 }),
    /** Connection attempts in flight at once, so a restart does not open 2,500 sockets in one burst. */
    maxConcurrentConnects: Type.Integer({ minimum: 1, default: 64 }),
    /** Requests in flight on one connection (units behind one controller or Modbus gateway). */
    maxInFlightPerConnection: Type.Integer({ minimum: 1, maximum: 200, default: 8 }),
  },
  { additionalProperties: false },
);
export type BarrierModbusConfig = Static<typeof BarrierModbusConfigSchema>;

/** A barrier Device's `options`, as checked by validateBarrierConfig. */
export interface BarrierDeviceOptions {
  host: string;
  port: number;
  unitId: number;
  model: string;
}

export const DEFAULT_MODBUS_PORT = 502;
