/**
 * The adapter contract suite (gateway/contract/adapter.ts), written once and run against each
 * adapter (tests/integration/adapters/adapter-contract.test.ts), like the telemetry-store suite:
 * the factory declares itself, its default configuration is valid, its constructor only keeps
 * its arguments, and start()/stop() own every socket and timer: stop() releases them all, twice
 * is harmless, and the adapter starts again after it.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import type { AdapterContext, AdapterFactory } from '../../gateway/contract/adapter.js';
import { DEVICE_KINDS } from '../../gateway/contract/vocabulary.js';

export interface AdapterContractEntry {
  factory: AdapterFactory<never>;
  /** The configuration to start it with (laid over the schema's defaults). */
  config: Record<string, unknown>;
  /** Keys without a default (credentials, account ids): the empty configuration is refused naming exactly these. */
  requires?: string[];
  ctx(): AdapterContext;
}

/** Sockets and servers the process holds now (Node's resource list), by type, and its timer count. */
function resources(): { sockets: Record<string, number>; timers: number } {
  const sockets: Record<string, number> = {};
  let timers = 0;
  for (const r of process.getActiveResourcesInfo()) {
    if (/UDP|TCP|Pipe/i.test(r)) sockets[r] = (sockets[r] ?? 0) + 1;
    else if (r === 'Timeout') timers++;
  }
  return { sockets, timers };
}

/** Nothing more held than before: the same sockets, no more timers (the test runner has some of its own). */
function expectReleased(before: ReturnType<typeof resources>): void {
  const now = resources();
  expect(now.sockets).toStrictEqual(before.sockets);
  expect(now.timers).toBeLessThanOrEqual(before.timers);
}

const settle = () => new Promise<void>((r) => setTimeout(r, 20));

export function adapterContract(name: string, entry: () => AdapterContractEntry): void {
  describe(`adapter contract: ${name}`, () => {
    it('declares its type, kinds, availability and a coded error section', () => {
      const { factory } = entry();
      expect(factory.type).toBe(name);
      expect(factory.description.length).toBeGreaterThan(20);
      for (const k of factory.kinds) expect(DEVICE_KINDS).toContain(k);
      expect(['passive', 'active']).toContain(factory.availability);
      for (const code of Object.keys(factory.errors?.codes ?? {})) expect(code).toMatch(/^GW_ERR_[A-Z0-9_]+$/);
    });

    it('accepts its defaults (all but the keys it requires) and the configuration given, and refuses an unknown key', () => {
      const { factory, config, requires = [] } = entry();
      const check = TypeCompiler.Compile(factory.configSchema);
      expect([...new Set([...check.Errors(Value.Default(factory.configSchema, {}))].map((e) => e.path))].sort()).toStrictEqual([...requires].sort());
      expect([...check.Errors(Value.Default(factory.configSchema, structuredClone(config)))].map((e) => e.path)).toStrictEqual([]);
      expect(check.Check(Value.Default(factory.configSchema, { ...structuredClone(config), noSuchOption: 1 }))).toBe(false);
    });

    it('opens nothing in its constructor; stop() releases what start() opened, twice is harmless, and it starts again', async () => {
      const { factory, config, ctx } = entry();
      await settle();
      const before = resources();
      const adapter = factory.create(Value.Default(factory.configSchema, structuredClone(config)) as never, ctx());
      await settle();
      expectReleased(before);
      await adapter.stop(); // never started
      await adapter.start();
      await adapter.start(); // started already: nothing more
      await adapter.stop();
      await adapter.stop();
      await settle();
      expectReleased(before);
      await adapter.start();
      // Started, it holds something (a socket or a timer): the check above is not vacuous.
      const running = resources();
      expect(JSON.stringify(running) === JSON.stringify(before)).toBe(false);
      await adapter.stop();
      await settle();
      expectReleased(before);
    });
  });
}
