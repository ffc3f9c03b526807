/** The quick guard's comparison (bench/quick.bench.ts): which recorded run a new one is put beside. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lastQuickRun } from '../../../bench/quick.bench.js';

const machine = { cpus: 2, model: 'AMD EPYC' };
const record = (n: number, extra: Record<string, unknown> = {}) => JSON.stringify({ name: 'quick', machine, metrics: { n }, ...extra });

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function results(lines: string[]): string {
  dir = mkdtempSync(join(tmpdir(), 'quick-'));
  const file = join(dir, 'results.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('lastQuickRun', () => {
  it('takes the last run made with the same runtime; a record without one ran through tsx', () => {
    const file = results([record(1), record(2, { params: { runtime: 'bundled' } }), record(3, { params: { runtime: 'tsx' } }), record(4, { params: { runtime: 'bundled' } }), record(5)]);
    expect(lastQuickRun(file, machine, 'bundled')).toEqual({ n: 4 });
    expect(lastQuickRun(file, machine, 'tsx')).toEqual({ n: 5 });
  });

  it('skips other machines, other benchmarks and a torn line; nothing to compare with is undefined', () => {
    const file = results([
      record(1, { params: { runtime: 'bundled' } }),
      JSON.stringify({ name: 'quick', machine: { cpus: 4, model: 'AMD EPYC' }, params: { runtime: 'bundled' }, metrics: { n: 2 } }),
      JSON.stringify({ name: 'connections', machine, params: { runtime: 'bundled' }, metrics: { n: 3 } }),
      '{"name":"quick","machine":{"cpus":2,',
    ]);
    expect(lastQuickRun(file, machine, 'bundled')).toEqual({ n: 1 });
    expect(lastQuickRun(file, { cpus: 8, model: 'other' }, 'bundled')).toBeUndefined();
    expect(lastQuickRun(join(dir as string, 'missing.jsonl'), machine, 'bundled')).toBeUndefined();
  });
});
