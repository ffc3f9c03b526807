/** barrier-modbus: anti-collision barriers over Modbus TCP (see README.md). */
export {
  barrierModbusAdapter,
  BarrierModbusAdapter,
  isBarrierCommander,
  type BarrierCommand,
  type BarrierCommander,
  type BarrierCommandResult,
  type BarrierModbusFactory,
} from './adapter.js';
export {
  BarrierModbusConfigSchema,
  BarrierModelSchema,
  POSITION_STATES,
  SIM_RB1_MODEL,
  type BarrierDeviceOptions,
  type BarrierModbusConfig,
  type BarrierModel,
  type PositionState,
} from './config.js';
export { BARRIER_ERRORS } from './errors.js';
export { BARRIER_ADAPTER_TYPE, resolveBarrierConfig, validateBarrierConfig } from './validate.js';
