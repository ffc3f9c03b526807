/**
 * Where a heap goes: sums the self size of every object in a V8 heap snapshot (written by
 * `npm run bench -- connections --heap-snapshot` or `heap-per-device --keep-snapshots`) by
 * type and constructor, by what holds it (bench/lib/heap-snapshot.ts), or both; largest first.
 * With `--diff BEFORE.heapsnapshot`, what FILE has more than BEFORE.
 * Usage: npx tsx bench/heap-summary.ts FILE.heapsnapshot [--diff BEFORE] [--by constructor|holder|pair] [--top 40] [--per 19000]
 * `--per N` adds a column of bytes per N (e.g. per device).
 */
import { parseArgs } from 'node:util';
import { diffGroups, readSnapshot, sortedGroups, type HeapSummary } from './lib/heap-snapshot.js';
import { renderTable } from './lib/harness.js';

const BY = { constructor: 'byConstructor', holder: 'byHolder', pair: 'byPair' } as const satisfies Record<string, keyof HeapSummary>;

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '40' }, per: { type: 'string' }, diff: { type: 'string' }, by: { type: 'string', default: 'constructor' } },
  });
  const file = positionals[0];
  const by = BY[values.by as keyof typeof BY];
  if (!file || !by) {
    process.stderr.write('usage: npx tsx bench/heap-summary.ts FILE.heapsnapshot [--diff BEFORE] [--by constructor|holder|pair] [--top 40] [--per N]\n');
    process.exit(2);
  }
  const after = readSnapshot(file);
  const before = values.diff ? readSnapshot(values.diff) : undefined;
  const groups = before ? diffGroups(before[by], after[by]) : sortedGroups(after[by]);
  const total = after.total - (before?.total ?? 0);
  const per = values.per ? Number(values.per) : undefined;
  const rows = groups.slice(0, Number(values.top)).map((g) => [g.key, g.count, (g.bytes / 2 ** 20).toFixed(2), ...(per ? [(g.bytes / per).toFixed(0)] : [])]);
  const title = before ? `${file} − ${values.diff}: ${(total / 2 ** 20).toFixed(1)} MB more` : `${file}: ${(total / 2 ** 20).toFixed(1)} MB in the JS heap`;
  console.log(renderTable({ title: `${title}${per ? ` (${(total / per).toFixed(0)} B per ${per})` : ''}`, columns: [`by ${values.by}`, 'count', 'MB', ...(per ? [`bytes / ${per}`] : [])], rows }));
}

main();
