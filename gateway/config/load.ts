/**
 * Configuration loading: embedded default (config/default.yaml), an optional file laid over
 * it (GATEWAY_CONFIG), then environment overrides; validated against schema.ts (beside it) with
 * every error as `path: message`; frozen on success.
 */
import { authConfigErrors } from '../auth/auth-config.js';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigSchema, type GatewayConfig } from './schema.js';
import { hashProblem, hashSecretSync } from '../broker/password-hash.js';
import { broadcastConfigErrors } from '../core/broadcast/config.js';
import { escalationConfigErrors } from '../core/escalation/config.js';
import { onCallConfigErrors } from '../core/oncall/config.js';
import { sweepScheduleErrors } from '../core/sweeps/config.js';
import type { Device, Site } from '../contract/types.js';
import { GatewayError } from '../contract/errors.js';
import { addressListErrors } from '../http/address-list.js';
import { PACKAGE_ROOT } from '../package-root.js';

export const DEFAULT_CONFIG_PATH = join(PACKAGE_ROOT, 'config', 'default.yaml');

const compiled = TypeCompiler.Compile(ConfigSchema);

/** The loaded configuration plus the flattened registry data derived from it. */
export interface LoadedConfig {
  config: GatewayConfig;
  sites: Site[];
  devices: Device[];
  /** Files that were read, in order. */
  sources: string[];
  /** Things the operator should know about but that do not stop the gateway (log them once). */
  warnings?: string[];
}

export interface LoadOptions {
  /** Files to read in order; defaults to [default.yaml, $GATEWAY_CONFIG]. */
  files?: string[];
  env?: Record<string, string | undefined>;
  /** Applied last (tests: ephemeral ports, temp data dirs). */
  overrides?: Record<string, unknown>;
}

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; arrays and scalars from the upper layer replace the lower. */
export function mergeLayers(lower: unknown, upper: unknown): unknown {
  if (!isPlain(lower) || !isPlain(upper)) return upper === undefined ? lower : upper;
  const out: Plain = { ...lower };
  for (const [k, v] of Object.entries(upper)) out[k] = mergeLayers(lower[k], v);
  return out;
}

function readLayer(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new GatewayError('GW_ERR_CONFIG_READ', `${file}: ${(cause as Error).message}`, { cause });
  }
  try {
    return parseYaml(text) ?? {};
  } catch (cause) {
    const where = cause instanceof YAMLParseError && cause.linePos ? `:${cause.linePos[0].line}:${cause.linePos[0].col}` : '';
    throw new GatewayError('GW_ERR_CONFIG_INVALID', `${file}${where}: ${(cause as Error).message.split('\n')[0]}`, { cause });
  }
}

function envLayer(env: Record<string, string | undefined>): Plain {
  const layer: Plain = {};
  const set = (path: string[], value: unknown) => {
    let node = layer;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Plain;
    node[path[path.length - 1] as string] = value;
  };
  const int = (name: string) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    // Left as a string when not an integer, so the schema reports it with its path.
    return /^\d+$/.test(raw) ? Number(raw) : raw;
  };
  if (int('HTTP_PORT') !== undefined) set(['http', 'port'], int('HTTP_PORT'));
  if (env.HTTP_HOST) set(['http', 'host'], env.HTTP_HOST);
  if (int('MQTT_PORT') !== undefined) set(['mqtt', 'port'], int('MQTT_PORT'));
  if (env.MQTT_HOST) set(['mqtt', 'host'], env.MQTT_HOST);
  if (env.DATA_DIR) set(['dataDir'], env.DATA_DIR);
  if (env.LOG_LEVEL) set(['log', 'level'], env.LOG_LEVEL);
  if (env.LOG_FORMAT) {
    if (env.LOG_FORMAT !== 'json' && env.LOG_FORMAT !== 'pretty') {
      throw new GatewayError('GW_ERR_CONFIG_INVALID', `LOG_FORMAT: expected json or pretty, got ${JSON.stringify(env.LOG_FORMAT)}`);
    }
    set(['log', 'pretty'], env.LOG_FORMAT === 'pretty');
  }
  if (env.INFLUX_URL) set(['telemetry', 'influx', 'url'], env.INFLUX_URL);
  if (env.INFLUX_DATABASE) set(['telemetry', 'influx', 'database'], env.INFLUX_DATABASE);
  if (env.CLUSTER_NODE_ID) set(['cluster', 'nodeId'], env.CLUSTER_NODE_ID);
  if (env.DATABASE_URL) set(['cluster', 'databaseUrl'], env.DATABASE_URL);
  if (env.REDIS_URL) set(['cluster', 'redisUrl'], env.REDIS_URL);
  return layer;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Plaintext and hash are exclusive; a hash must be one mosquitto 2.x accepts. */
function credentialErrors(path: string, plain: string | undefined, hash: string | undefined, [plainKey, hashKey]: [string, string]): string[] {
  if (plain !== undefined && hash !== undefined) return [`${path}: give either ${plainKey} or ${hashKey}, not both`];
  const problem = hash === undefined ? undefined : hashProblem(hash);
  return problem ? [`${path}/${hashKey}: ${problem}`] : [];
}

/**
 * Replaces plaintext device secrets and MQTT user passwords (tests, benchmarks) by `$7$`
 * hashes in place, so neither the configuration nor the registry keeps them. Same iteration
 * count as real hashes, so benchmarks pay what production pays per CONNECT. Returns how many.
 */
function hashPlaintextSecrets(config: GatewayConfig): number {
  let n = 0;
  for (const site of config.sites) {
    site.devices.forEach((device, i) => {
      if (device.secret === undefined) return;
      // A new object rather than `delete device.secret`: a deleted key puts the object in
      // dictionary mode (~520 bytes more per device, measured by bench heap-per-device, and
      // slower property access); one built key by key shares its hidden classes with the others.
      const { secret, ...rest } = device;
      const hashed = Object.fromEntries(Object.entries(rest)) as typeof device;
      hashed.secretHash = hashSecretSync(secret);
      site.devices[i] = hashed;
      n++;
    });
  }
  for (const user of config.mqtt.users) {
    if (user.password === undefined) continue;
    user.passwordHash = hashSecretSync(user.password);
    delete user.password;
    n++;
  }
  return n;
}

/** Checks the schema cannot express: unique ids, references. */
function semanticErrors(config: GatewayConfig): string[] {
  const errors: string[] = [];
  // A verified client certificate authenticates without a password (gateway/broker/tls-listener.ts).
  const certificates = config.mqtt.tls?.caFile !== undefined;
  const siteIds = new Set<string>();
  const deviceIds = new Map<string, string>();
  config.sites.forEach((site, i) => {
    if (siteIds.has(site.id)) errors.push(`/sites/${i}/id: duplicate site id '${site.id}'`);
    siteIds.add(site.id);
    site.devices.forEach((device, j) => {
      const path = `/sites/${i}/devices/${j}`;
      const seen = deviceIds.get(device.id);
      if (seen) errors.push(`${path}/id: duplicate device id '${device.id}' (first at ${seen})`);
      else deviceIds.set(device.id, path);
      const adapter = device.adapter ?? 'mqtt-native';
      errors.push(...credentialErrors(path, device.secret, device.secretHash, ['secret', 'secretHash']));
      if (adapter === 'mqtt-native' && !config.mqtt.allowAnonymous && !certificates && device.secret === undefined && device.secretHash === undefined) {
        errors.push(`${path}/secretHash: required for mqtt-native devices while mqtt.allowAnonymous is false and no mqtt.tls.caFile verifies client certificates`);
      }
    });
  });
  const usernames = new Set<string>();
  config.mqtt.users.forEach((u, i) => {
    const path = `/mqtt/users/${i}`;
    if (deviceIds.has(u.username)) errors.push(`${path}/username: '${u.username}' is also a device id`);
    if (usernames.has(u.username)) errors.push(`${path}/username: duplicate '${u.username}'`);
    usernames.add(u.username);
    errors.push(...credentialErrors(path, u.password, u.passwordHash, ['password', 'passwordHash']));
    if (!certificates && u.password === undefined && u.passwordHash === undefined) errors.push(`${path}/passwordHash: required unless mqtt.tls.caFile verifies client certificates`);
  });
  const tls = config.mqtt.tls;
  if (tls?.requireClientCert && !tls.caFile) errors.push('/mqtt/tls/caFile: required when requireClientCert is true (the CA that signs device certificates)');
  errors.push(...addressListErrors(config.http.metricsAllow, '/http/metricsAllow'));
  errors.push(...addressListErrors(config.mqtt.connectLimit.exempt, '/mqtt/connectLimit/exempt'));
  errors.push(...sweepScheduleErrors(config.sweeps.schedules));
  errors.push(...authConfigErrors(config.auth, config.sites));
  errors.push(...broadcastConfigErrors(config.broadcast, '/broadcast', config.sites.map((s) => s.id)));
  errors.push(...onCallConfigErrors(config.oncall));
  errors.push(...escalationConfigErrors(config.escalation, Object.keys(config.broadcast.groups)));
  // simulation.faults naming devices a site file removed are ignored: a layer cannot delete
  // keys of the default's objects, and simulators only look up the devices they run.
  return errors;
}

/**
 * Validates a raw configuration object; throws GW_ERR_CONFIG_INVALID listing every
 * `path: message`. Plaintext secrets come back hashed (see hashPlaintextSecrets).
 */
export function validateConfig(raw: unknown): GatewayConfig {
  return validateConfigReport(raw).config;
}

/** validateConfig, plus how many plaintext secrets were hashed in memory. */
export function validateConfigReport(raw: unknown): { config: GatewayConfig; plaintextSecrets: number } {
  const withDefaults = Value.Default(ConfigSchema, structuredClone(raw ?? {}));
  const errors = [...compiled.Errors(withDefaults)].map((e) => `${e.path || '/'}: ${e.message}`);
  if (errors.length > 0) {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', errors.slice(0, 20).join('; '), { details: errors });
  }
  const config = withDefaults as GatewayConfig;
  const semantic = semanticErrors(config);
  if (semantic.length > 0) {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', semantic.slice(0, 20).join('; '), { details: semantic });
  }
  return { config, plaintextSecrets: hashPlaintextSecrets(config) };
}

export function flatten(config: GatewayConfig): { sites: Site[]; devices: Device[] } {
  const sites: Site[] = [];
  const devices: Device[] = [];
  for (const s of config.sites) {
    const { devices: siteDevices, ...site } = s;
    sites.push(site);
    for (const d of siteDevices) {
      // One object shape for every device (a spread of optional keys makes V8 give each its own).
      devices.push({
        id: d.id,
        siteId: s.id,
        kind: d.kind,
        adapter: d.adapter ?? 'mqtt-native',
        name: d.name,
        // The `$7$` hash (plaintext never reaches the registry): the broker verifies against it.
        secretHash: d.secretHash,
        heartbeatTimeout: d.heartbeatTimeout,
        options: d.options ?? {},
      });
    }
  }
  return { sites, devices };
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const files = opts.files ?? [DEFAULT_CONFIG_PATH, ...(env.GATEWAY_CONFIG ? [resolve(env.GATEWAY_CONFIG)] : [])];
  let merged: unknown = {};
  for (const file of files) merged = mergeLayers(merged, readLayer(file));
  merged = mergeLayers(merged, envLayer(env));
  if (opts.overrides) merged = mergeLayers(merged, opts.overrides);
  const { config, plaintextSecrets } = validateConfigReport(merged);
  const { sites, devices } = flatten(config);
  const warnings =
    plaintextSecrets > 0
      ? [`${plaintextSecrets} plaintext MQTT secret(s)/password(s) in the configuration were hashed in memory: for tests and benchmarks only; store secretHash/passwordHash (npm run hash-device-secret) instead`]
      : [];
  return deepFreeze({ config, sites, devices, sources: files, warnings });
}
