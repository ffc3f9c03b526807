/**
 * The simulated controller's register map ("sim-rb1"), as documented in
 * adapters/barrier-modbus/README.md. PDU addresses, 0-based (Modbus Application Protocol
 * V1.1b3 §4.4). Kept apart from the adapter's model on purpose: the integration tests check
 * that the adapter's declared model and this implementation agree.
 */

export const HR = {
  /** 1 raised, 2 lowered, 3 raising, 4 lowering, 5 stopped by a fault. */
  STATE: 0,
  /** Bit per fault, see FAULT_BITS. */
  FAULTS: 1,
  /** Impacts since installation, 16 bits, wraps. */
  IMPACTS: 2,
  /** Bit 0: manual override (local key switch), remote commands ignored. */
  STATUS: 3,
  /** Write 1 raise, 2 lower; reads back the last command (0 none). */
  COMMAND: 4,
} as const;
export const HR_COUNT = 5;

export const IR = {
  /** Hydraulic pressure, 0.1 bar. */
  PRESSURE: 0,
  /** Motor current, 0.01 A. */
  CURRENT: 1,
} as const;
export const IR_COUNT = 2;

export const COIL = {
  /** Write ON: raise. Pulse: reads back OFF. */
  RAISE: 0,
  /** Write ON: lower. */
  LOWER: 1,
} as const;
export const COIL_COUNT = 2;

export const DI = {
  RAISED_LIMIT: 0,
  LOWERED_LIMIT: 1,
  MANUAL_OVERRIDE: 2,
} as const;
export const DI_COUNT = 3;

export const STATE_VALUE = { raised: 1, lowered: 2, raising: 3, lowering: 4, fault: 5 } as const;
export type SimPosition = keyof typeof STATE_VALUE;

export const COMMAND_VALUE = { raise: 1, lower: 2 } as const;

export const FAULT_BITS = {
  'hydraulic-pressure-low': 0,
  'motor-overload': 1,
  'limit-switch': 2,
  'emergency-stop': 3,
  'power-failure': 4,
} as const;
export type SimFault = keyof typeof FAULT_BITS;
export const SIM_FAULTS = Object.keys(FAULT_BITS) as SimFault[];

/** Nominal readings (raw register units). */
export const NOMINAL = {
  pressureIdle: 1200, // 120.0 bar
  pressureMoving: 950,
  pressureLost: 350,
  currentIdle: 20, // 0.20 A
  currentMoving: 450,
} as const;

/** Modbus Application Protocol V1.1b3 §7: exception codes the simulator answers with. */
export const EXCEPTION = {
  ILLEGAL_DATA_ADDRESS: 0x02,
  ILLEGAL_DATA_VALUE: 0x03,
  GATEWAY_TARGET_FAILED: 0x0b,
} as const;
