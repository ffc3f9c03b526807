/**
 * Checking an adapter's configuration against its schema, the same way for every adapter and
 * for the gateway's loader: defaults applied to a copy, every problem as `path: message` (JSON
 * pointer, `/` for the whole value), and one coded error (GW_ERR_CONFIG_INVALID) that lists
 * them all, in its message and its `details`.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { GatewayError } from './errors.js';

/** The value with the schema's defaults, and every `path: message` it fails with (`prefix` before each path). */
export function configProblems<T extends TSchema>(schema: T, raw: unknown, prefix = ''): { value: Static<T>; problems: string[] } {
  const value = Value.Default(schema, structuredClone(raw ?? {})) as Static<T>;
  const problems = [...Value.Errors(schema, value)].map((e) => `${prefix}${e.path || (prefix ? '' : '/')}: ${e.message}`);
  return { value, problems };
}

/** GW_ERR_CONFIG_INVALID: `what`, then every problem. */
export function configInvalid(what: string, problems: readonly string[]): GatewayError {
  return new GatewayError('GW_ERR_CONFIG_INVALID', what ? `${what}: ${problems.join('; ')}` : problems.join('; '), { details: [...problems] });
}

/** The checked configuration; throws configInvalid(what, …) when it fails its schema. */
export function checkConfig<T extends TSchema>(schema: T, raw: unknown, what: string, prefix = ''): Static<T> {
  const { value, problems } = configProblems(schema, raw, prefix);
  if (problems.length > 0) throw configInvalid(what, problems);
  return value;
}
