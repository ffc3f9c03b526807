/**
 * Configuration checks for barrier-modbus: the schema, what a schema cannot say about a
 * register map, and every barrier Device's options against the declared models. Each error
 * is `path: message`, the path dotted from the adapter's configuration root
 * (`models.acme-rb3.position.values: …`, `devices.sch-01-bar-1.options.model: …`).
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import type { Device } from '../../gateway/contract/types.js';
import {
  BarrierModbusConfigSchema,
  DEFAULT_MODBUS_PORT,
  type BarrierDeviceOptions,
  type BarrierModbusConfig,
  type BarrierModel,
} from './config.js';
import { GatewayError } from '../../gateway/contract/errors.js';

export const BARRIER_ADAPTER_TYPE = 'barrier-modbus';

const compiled = TypeCompiler.Compile(BarrierModbusConfigSchema);

/** `/models/acme~1x/position` (JSON pointer, RFC 6901) → `models.acme/x.position`. */
function dotted(pointer: string): string {
  if (pointer === '' || pointer === '/') return '(root)';
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function isUint16Key(key: string): boolean {
  return /^(0|[1-9]\d{0,4})$/.test(key) && Number(key) <= 65535;
}

function modelErrors(name: string, model: BarrierModel): string[] {
  const at = `models.${name}`;
  const errors: string[] = [];

  const states = new Set<string>();
  for (const [key, state] of Object.entries(model.position.values)) {
    if (!isUint16Key(key)) errors.push(`${at}.position.values.${key}: key must be a register value 0–65535`);
    states.add(state);
  }
  if (!states.has('raised') || !states.has('lowered')) {
    errors.push(`${at}.position.values: must map one value to 'raised' and one to 'lowered' (a command cannot be verified otherwise)`);
  }

  const names = new Map<string, string>();
  for (const [bit, faultName] of Object.entries(model.faults.bits)) {
    if (!/^(\d|1[0-5])$/.test(bit)) errors.push(`${at}.faults.bits.${bit}: key must be a bit number 0–15`);
    const seen = names.get(faultName);
    if (seen !== undefined) errors.push(`${at}.faults.bits.${bit}: fault name '${faultName}' is already bit ${seen}`);
    else names.set(faultName, bit);
  }

  const a = model.analog;
  if (!Number.isFinite(a.scale) || a.scale === 0) errors.push(`${at}.analog.scale: must be a non-zero number`);
  if (a.min !== undefined && a.max !== undefined && a.min >= a.max) errors.push(`${at}.analog.min: must be below analog.max`);

  const { raise, lower } = model.commands;
  if ('coil' in raise && 'coil' in lower && raise.coil === lower.coil) {
    errors.push(`${at}.commands.lower.coil: same coil ${raise.coil} as commands.raise`);
  }
  if ('register' in raise && 'register' in lower && raise.register === lower.register && raise.value === lower.value) {
    errors.push(`${at}.commands.lower.value: same register ${raise.register} and value ${raise.value} as commands.raise`);
  }
  const flag = model.manualOverride;
  if ('coil' in flag && [raise, lower].some((c) => 'coil' in c && c.coil === flag.coil)) {
    errors.push(`${at}.manualOverride.coil: coil ${flag.coil} is also a command coil`);
  }
  return errors;
}

/** Reads a barrier Device's options; errors are pushed with their path. */
export function readDeviceOptions(
  device: Device,
  models: Record<string, BarrierModel>,
  errors: string[],
  controllers: Record<string, { host: string; port: number }> = {},
): BarrierDeviceOptions | undefined {
  const at = `devices.${device.id}`;
  const o = device.options;
  const before = errors.length;
  if (device.kind !== 'barrier') errors.push(`${at}.kind: barrier-modbus owns only 'barrier' devices, not '${device.kind}'`);
  let endpoint: { host?: unknown; port?: unknown } = o;
  if (o.controller !== undefined) {
    const named = typeof o.controller === 'string' ? controllers[o.controller] : undefined;
    if (!named) errors.push(`${at}.options.controller: unknown controller ${JSON.stringify(o.controller)} (declared: ${Object.keys(controllers).join(', ') || '(none)'})`);
    else endpoint = named;
  }
  const host = endpoint.host;
  if (o.controller === undefined && (typeof host !== 'string' || host.length === 0)) errors.push(`${at}.options.host: required, a host name or IP address`);
  const port = endpoint.port ?? DEFAULT_MODBUS_PORT;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    errors.push(`${at}.options.port: must be an integer 1–65535`);
  }
  // Modbus TCP Implementation Guide V1.0b §4.4.2: unit id 0xFF (or 0) addresses the TCP
  // device itself; 1–247 address serial units behind a gateway.
  const unitId = o.unitId ?? 1;
  if (typeof unitId !== 'number' || !Number.isInteger(unitId) || unitId < 0 || unitId > 255) {
    errors.push(`${at}.options.unitId: must be an integer 0–255`);
  }
  const model = o.model;
  if (typeof model !== 'string' || !(model in models)) {
    const known = Object.keys(models).join(', ') || '(none)';
    errors.push(`${at}.options.model: unknown model ${JSON.stringify(model)} (declared: ${known})`);
  }
  if (errors.length > before) return undefined;
  return { host: host as string, port: port as number, unitId: unitId as number, model: model as string };
}

/**
 * Every problem with a raw adapter configuration and the barrier devices it would own, as
 * `path: message` strings; empty when the configuration can start.
 */
export function validateBarrierConfig(raw: unknown, devices: Device[] = []): string[] {
  const withDefaults: unknown = Value.Default(BarrierModbusConfigSchema, structuredClone(raw ?? {}));
  const schemaErrors = [...compiled.Errors(withDefaults)].map((e) => {
    // TypeBox says only "Expected union value"; the schema's description says what would do.
    const hint = e.type === ValueErrorType.Union && typeof e.schema.description === 'string' ? `expected ${e.schema.description}` : e.message;
    return `${dotted(e.path)}: ${hint}`;
  });
  if (schemaErrors.length > 0) return schemaErrors;
  const config = withDefaults as BarrierModbusConfig;
  const errors: string[] = [];
  for (const [name, model] of Object.entries(config.models)) errors.push(...modelErrors(name, model));
  if (config.reconnect.minMs > config.reconnect.maxMs) errors.push('reconnect.minMs: must not exceed reconnect.maxMs');

  const endpoints = new Map<string, string>();
  for (const device of devices) {
    if (device.adapter !== BARRIER_ADAPTER_TYPE) continue;
    const opts = readDeviceOptions(device, config.models, errors, config.controllers);
    if (!opts) continue;
    const key = `${opts.host}:${opts.port}#${opts.unitId}`;
    const other = endpoints.get(key);
    if (other !== undefined) errors.push(`devices.${device.id}.options.unitId: ${key} is already barrier '${other}'`);
    else endpoints.set(key, device.id);
  }
  return errors;
}

/** The configuration with defaults applied; throws GW_ERR_CONFIG_INVALID listing every `path: message`. */
export function resolveBarrierConfig(raw: unknown, devices: Device[] = []): BarrierModbusConfig {
  const errors = validateBarrierConfig(raw, devices);
  if (errors.length > 0) {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', `barrier-modbus: ${errors.slice(0, 20).join('; ')}`, { details: errors });
  }
  return Value.Default(BarrierModbusConfigSchema, structuredClone(raw ?? {})) as BarrierModbusConfig;
}
