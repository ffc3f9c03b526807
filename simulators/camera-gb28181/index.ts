/** Simulated GB/T 28181 NVRs for tests, the district and the benchmark. */
export { GbNvrSimulator, GB_NVR_FAULTS, type GbNvrFault, type GbNvrOptions } from './nvr-simulator.js';
export { startDistrictNvrs } from './district-nvrs.js';
