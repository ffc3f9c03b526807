/** Error codes of the barrier-modbus adapter: its section of the gateway's error catalogue. */
import { errorSection } from '../../gateway/contract/errors.js';

export const BARRIER_ERRORS = errorSection('BarrierModbusError', {
  GW_ERR_BARRIER_UNKNOWN_DEVICE: { status: 404, message: 'barrier is not managed by barrier-modbus' },
  GW_ERR_BARRIER_UNREACHABLE: { status: 502, message: 'barrier controller is unreachable' },
  GW_ERR_BARRIER_TIMEOUT: { status: 504, message: 'barrier controller did not answer in time' },
  GW_ERR_BARRIER_MODBUS_EXCEPTION: { status: 502, message: 'barrier controller answered with a Modbus exception' },
  GW_ERR_BARRIER_COMMAND_FAILED: { status: 502, message: 'barrier command could not be written' },
  GW_ERR_BARRIER_COMMAND_TIMEOUT: { status: 504, message: 'barrier did not reach the commanded position in time' },
  GW_ERR_BARRIER_STOPPED: { status: 503, message: 'barrier-modbus adapter is stopped' },
});
