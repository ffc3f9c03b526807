/**
 * Pure register-map codec: which reads one poll needs for a model, and how the values read
 * become a barrier reading. No I/O.
 */
import type { BarrierModel, PositionState, RegisterTableName } from './config.js';

export type Table = RegisterTableName | 'coil' | 'discrete';

export interface ReadRequest {
  table: Table;
  address: number;
  length: number;
}

/** Values read in one poll, by table and address. */
export type ReadValues = Map<Table, Map<number, number>>;

export interface BarrierReading {
  position: PositionState;
  positionRaw: number;
  faultBits: number;
  /** Fault names of the set bits, in bit order; unnamed bits as `bit-<n>`. */
  faultNames: string[];
  analogKind: 'pressure' | 'current';
  analog: number;
  impactCount: number;
  manualOverride: boolean;
}

/** FC 03/04 read at most 125 registers (Modbus Application Protocol V1.1b3 §6.3, §6.4). */
const MAX_REGISTERS_PER_READ = 125;

function refs(model: BarrierModel): { table: Table; address: number }[] {
  const out: { table: Table; address: number }[] = [
    { table: model.position.table ?? 'holding', address: model.position.address },
    { table: model.faults.table ?? 'holding', address: model.faults.address },
    { table: model.analog.table ?? 'input', address: model.analog.address },
    { table: model.impactCounter.table ?? 'holding', address: model.impactCounter.address },
  ];
  const flag = model.manualOverride;
  if ('coil' in flag) out.push({ table: 'coil', address: flag.coil });
  else if ('discreteInput' in flag) out.push({ table: 'discrete', address: flag.discreteInput });
  else out.push({ table: flag.table ?? 'holding', address: flag.register });
  return out;
}

/**
 * The fewest reads covering every register a poll needs: one read per table when the
 * addresses fit in one request, else one read per address.
 */
export function readPlan(model: BarrierModel): ReadRequest[] {
  const byTable = new Map<Table, number[]>();
  for (const r of refs(model)) byTable.set(r.table, [...(byTable.get(r.table) ?? []), r.address]);
  const plan: ReadRequest[] = [];
  for (const table of ['holding', 'input', 'coil', 'discrete'] as const) {
    const addresses = [...new Set(byTable.get(table) ?? [])].sort((a, b) => a - b);
    const first = addresses[0];
    const last = addresses[addresses.length - 1];
    if (first === undefined || last === undefined) continue;
    const limit = table === 'coil' || table === 'discrete' ? 2000 : MAX_REGISTERS_PER_READ;
    if (last - first + 1 <= limit) plan.push({ table, address: first, length: last - first + 1 });
    else for (const address of addresses) plan.push({ table, address, length: 1 });
  }
  return plan;
}

/** Stores the answer to one read request. */
export function storeRead(values: ReadValues, req: ReadRequest, data: (number | boolean)[]): void {
  const table = values.get(req.table) ?? new Map<number, number>();
  for (let i = 0; i < req.length; i++) {
    const v = data[i];
    if (v === undefined) throw new Error(`short answer: ${data.length} of ${req.length} values from ${req.table} ${req.address}`);
    table.set(req.address + i, typeof v === 'boolean' ? (v ? 1 : 0) : v);
  }
  values.set(req.table, table);
}

function value(values: ReadValues, table: Table, address: number): number {
  const v = values.get(table)?.get(address);
  if (v === undefined) throw new Error(`no value read for ${table} ${address}`);
  return v;
}

/** Removes float noise (1200 × 0.1 = 120.00000000000001). */
function tidy(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

export function decodeReading(model: BarrierModel, values: ReadValues): BarrierReading {
  const positionRaw = value(values, model.position.table ?? 'holding', model.position.address);
  const position: PositionState = model.position.values[String(positionRaw)] ?? 'unknown';

  const faultBits = value(values, model.faults.table ?? 'holding', model.faults.address) & 0xffff;
  const faultNames: string[] = [];
  for (let bit = 0; bit < 16; bit++) {
    if (faultBits & (1 << bit)) faultNames.push(model.faults.bits[String(bit)] ?? `bit-${bit}`);
  }

  const a = model.analog;
  let raw = value(values, a.table ?? 'input', a.address) & 0xffff;
  if (a.signed && raw >= 0x8000) raw -= 0x10000;
  const analog = tidy(raw * a.scale + (a.offset ?? 0));

  const impactCount = value(values, model.impactCounter.table ?? 'holding', model.impactCounter.address) & 0xffff;

  const flag = model.manualOverride;
  let manualOverride: boolean;
  if ('coil' in flag) manualOverride = value(values, 'coil', flag.coil) !== 0;
  else if ('discreteInput' in flag) manualOverride = value(values, 'discrete', flag.discreteInput) !== 0;
  else manualOverride = (value(values, flag.table ?? 'holding', flag.register) & (1 << flag.bit)) !== 0;

  return { position, positionRaw, faultBits, faultNames, analogKind: a.kind, analog, impactCount, manualOverride };
}
