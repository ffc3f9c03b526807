/**
 * The arrows of docs/architecture.md, checked on every import of the tree: static imports and
 * re-exports, `import()` with a string literal, type-only imports alike (a type is a
 * dependency too). Read with TypeScript's own pre-processor, so an import written in a comment
 * or a string is not one. The rules are checked on synthetic imports too, so each can fail.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The tree: the product, its simulators and tools, the dashboard. */
const FOLDERS = ['gateway', 'adapters', 'simulators', 'config', 'scripts', 'dashboard/src'];

interface Edge {
  from: string;
  to: string;
}

function sources(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) out.push(posix.normalize(relative(ROOT, path).split('\\').join('/')));
    }
  };
  walk(join(ROOT, folder));
  return out;
}

/** The files a source imports, as repository paths (`.js` specifiers name their `.ts` sources); packages are left out. */
function importsOf(file: string, text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, '.ts'));
}

function treeEdges(): Edge[] {
  return FOLDERS.flatMap(sources).flatMap((from) => importsOf(from, readFileSync(join(ROOT, from), 'utf8')).map((to) => ({ from, to })));
}

const under = (path: string, folder: string) => path.startsWith(`${folder}/`);
const adapterFolder = (path: string) => (under(path, 'adapters') ? path.split('/')[1] : undefined);

/** The arrows docs/architecture.md forbids; each broken one is a line naming the import and the rule. */
const RULES: { rule: string; broken(e: Edge): boolean }[] = [
  {
    // The composition root (gateway/app.ts, reading the adapter list) is the one place that knows adapters.
    rule: 'gateway → adapters only from the composition root (gateway/app.ts → adapters/registry.ts)',
    broken: (e) => under(e.from, 'gateway') && under(e.to, 'adapters') && !(e.from === 'gateway/app.ts' && e.to === 'adapters/registry.ts'),
  },
  { rule: 'gateway → simulators: never (simulators drive the gateway)', broken: (e) => under(e.from, 'gateway') && under(e.to, 'simulators') },
  { rule: 'config → gateway: never (config/ holds data)', broken: (e) => under(e.from, 'config') && under(e.to, 'gateway') },
  {
    rule: 'gateway/contract → only gateway/contract (the contract is the bottom layer)',
    broken: (e) => under(e.from, 'gateway/contract') && !under(e.to, 'gateway/contract'),
  },
  {
    // Implies the "core → http/store/broker": the core reaches them only through its own ports.
    rule: 'gateway/core → only gateway/core and gateway/contract (no http, store, broker, auth, adapters…)',
    broken: (e) => under(e.from, 'gateway/core') && !under(e.to, 'gateway/core') && !under(e.to, 'gateway/contract'),
  },
  {
    rule: 'adapters → gateway only into gateway/contract',
    broken: (e) => under(e.from, 'adapters') && under(e.to, 'gateway') && !under(e.to, 'gateway/contract'),
  },
  {
    // A protocol library two adapters share is a folder of adapters/shared/ both import.
    rule: 'an adapter → only its own folder, adapters/shared and the contract (the registry lists them all)',
    broken: (e) =>
      under(e.from, 'adapters') &&
      e.from !== 'adapters/registry.ts' &&
      under(e.to, 'adapters') &&
      adapterFolder(e.to) !== 'shared' &&
      adapterFolder(e.to) !== adapterFolder(e.from),
  },
  { rule: 'adapters → simulators: never', broken: (e) => under(e.from, 'adapters') && under(e.to, 'simulators') },
];

/** Every import cycle (Tarjan's strongly connected components), as the files in it. */
function cycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || next.get(v)?.includes(v)) found.push(component.sort());
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return found;
}

function violations(edges: readonly Edge[]): string[] {
  const broken = edges.flatMap((e) => RULES.filter((r) => r.broken(e)).map((r) => `${e.from} → ${e.to}: ${r.rule}`));
  return [...broken, ...cycles(edges).map((c) => `import cycle: ${c.join(' → ')}`)];
}

describe('architecture', () => {
  const edges = treeEdges();

  it('reads the tree', () => {
    // A reader that found nothing would pass every rule.
    expect(edges.length).toBeGreaterThan(500);
    expect(edges).toContainEqual({ from: 'gateway/app.ts', to: 'adapters/registry.ts' });
  });

  it('keeps every arrow one way, with no import cycle', () => {
    expect(violations(edges)).toStrictEqual([]);
  });

  it('keeps the core in feature folders with a handful of files at its top', () => {
    const top = readdirSync(join(ROOT, 'gateway/core')).filter((f) => f.endsWith('.ts'));
    expect(top.length).toBeLessThanOrEqual(5);
  });

  it('has exactly one class extending Error in the product (gateway/ and adapters/)', () => {
    const classes = ['gateway', 'adapters'].flatMap(sources).flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(/class\s+(\w+)\s+extends\s+Error\b/g)].map((m) => `${f}: ${m[1]}`));
    expect(classes).toStrictEqual(['gateway/contract/errors.ts: GatewayError']);
  });

  it('fails on each forbidden arrow and on a cycle (synthetic imports)', () => {
    const bad: Edge[] = [
      { from: 'gateway/core/alarms/rules.ts', to: 'adapters/radio/index.ts' },
      { from: 'gateway/http/devices-routes.ts', to: 'adapters/registry.ts' },
      { from: 'gateway/main.ts', to: 'simulators/dev.ts' },
      { from: 'config/schema.ts', to: 'gateway/contract/types.ts' },
      { from: 'gateway/contract/adapter.ts', to: 'gateway/core/bus.ts' },
      { from: 'gateway/core/devices/pipeline.ts', to: 'gateway/store/telemetry-store.ts' },
      { from: 'gateway/core/alarms/forwarder.ts', to: 'gateway/http/server.ts' },
      { from: 'gateway/core/broadcast/service.ts', to: 'gateway/broker/broker.ts' },
      { from: 'adapters/radio/adapter.ts', to: 'gateway/core/types.ts' },
      { from: 'adapters/panel-dc09/index.ts', to: 'adapters/alarm-centre-dc09/index.ts' },
      { from: 'adapters/radio/index.ts', to: 'simulators/district.ts' },
      { from: 'simulators/a.ts', to: 'simulators/b.ts' },
      { from: 'simulators/b.ts', to: 'simulators/c.ts' },
      { from: 'simulators/c.ts', to: 'simulators/a.ts' },
    ];
    // Every forbidden import with each rule it breaks (the last three are allowed arrows that close a cycle), then the cycle.
    const rule = (start: string) => RULES.find((r) => r.rule.startsWith(start))?.rule;
    expect(violations(bad)).toStrictEqual([
      `gateway/core/alarms/rules.ts → adapters/radio/index.ts: ${rule('gateway → adapters')}`,
      `gateway/core/alarms/rules.ts → adapters/radio/index.ts: ${rule('gateway/core')}`,
      `gateway/http/devices-routes.ts → adapters/registry.ts: ${rule('gateway → adapters')}`,
      `gateway/main.ts → simulators/dev.ts: ${rule('gateway → simulators')}`,
      `config/schema.ts → gateway/contract/types.ts: ${rule('config')}`,
      `gateway/contract/adapter.ts → gateway/core/bus.ts: ${rule('gateway/contract')}`,
      `gateway/core/devices/pipeline.ts → gateway/store/telemetry-store.ts: ${rule('gateway/core')}`,
      `gateway/core/alarms/forwarder.ts → gateway/http/server.ts: ${rule('gateway/core')}`,
      `gateway/core/broadcast/service.ts → gateway/broker/broker.ts: ${rule('gateway/core')}`,
      `adapters/radio/adapter.ts → gateway/core/types.ts: ${rule('adapters → gateway')}`,
      `adapters/panel-dc09/index.ts → adapters/alarm-centre-dc09/index.ts: ${rule('an adapter')}`,
      `adapters/radio/index.ts → simulators/district.ts: ${rule('adapters → simulators')}`,
      'import cycle: simulators/a.ts → simulators/b.ts → simulators/c.ts',
    ]);
    // Allowed: the composition root, an adapter's own folder and shared helpers, simulators driving the gateway.
    expect(
      violations([
        { from: 'gateway/app.ts', to: 'adapters/registry.ts' },
        { from: 'adapters/registry.ts', to: 'adapters/radio/index.ts' },
        { from: 'adapters/radio/adapter.ts', to: 'adapters/shared/listeners.ts' },
        { from: 'adapters/radio/adapter.ts', to: 'gateway/contract/adapter.ts' },
        { from: 'simulators/dev.ts', to: 'gateway/app.ts' },
        { from: 'gateway/http/server.ts', to: 'gateway/core/bus.ts' },
      ]),
    ).toStrictEqual([]);
  });

  it('reads imports as TypeScript does: type-only ones, re-exports and literal import() count, comments do not', () => {
    const text = [
      "import type { Alarm } from '../contract/types.js';",
      "export { x } from './x.js';",
      "// import { nope } from '../../adapters/radio/index.js';",
      "const later = await import('../../simulators/dev.js');",
      "import pino from 'pino';",
    ].join('\n');
    expect(importsOf('gateway/core/a.ts', text)).toStrictEqual(['gateway/contract/types.ts', 'gateway/core/x.ts', 'simulators/dev.ts']);
  });
});
