/**
 * Where a heap goes: sums the self size of every object in a V8 heap snapshot (written by
 * `npm run bench -- connections --heap-snapshot`) by type and constructor name, largest first.
 * Usage: npx tsx bench/heap-summary.ts FILE.heapsnapshot [--top 40] [--per 19000]
 * `--per N` adds a column of bytes per N (e.g. per device).
 * Format: the node fields and types named in the snapshot's own `snapshot.meta` (V8 heap
 * snapshot JSON, as Chrome DevTools reads it).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderTable } from './lib/harness.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

interface HeapGroup {
  key: string;
  count: number;
  bytes: number;
}

function summarize(s: Snapshot): { total: number; groups: HeapGroup[] } {
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt] as number] ?? '?';
    const size = s.nodes[i + sizeAt] as number;
    const name = s.strings[s.nodes[i + nameAt] as number] ?? '';
    // Strings and numbers are many and distinct: one group per type, not per value.
    const key = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${name.slice(0, 60)}` : type === 'array' || type === 'hidden' || type === 'code' ? `${type} ${name.slice(0, 40)}` : `(${type})`;
    const g = groups.get(key) ?? { key, count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    groups.set(key, g);
    total += size;
  }
  return { total, groups: [...groups.values()].sort((a, b) => b.bytes - a.bytes) };
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '40' }, per: { type: 'string' } } });
  const file = positionals[0];
  if (!file) {
    process.stderr.write('usage: npx tsx bench/heap-summary.ts FILE.heapsnapshot [--top 40] [--per N]\n');
    process.exit(2);
  }
  const { total, groups } = summarize(JSON.parse(readFileSync(file, 'utf8')) as Snapshot);
  const per = values.per ? Number(values.per) : undefined;
  const rows = groups.slice(0, Number(values.top)).map((g) => [g.key, g.count, (g.bytes / 2 ** 20).toFixed(1), ...(per ? [(g.bytes / per).toFixed(0)] : [])]);
  console.log(renderTable({ title: `${file}: ${(total / 2 ** 20).toFixed(1)} MB in the JS heap`, columns: ['type / constructor', 'count', 'MB', ...(per ? [`bytes / ${per}`] : [])], rows }));
}

main();
