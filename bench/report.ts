/**
 * Markdown tables from bench/results.jsonl, for bench/README.md's results section.
 * Usage: npx tsx bench/report.ts [NAME] [--last N] [--metrics a,b,c]
 * Metrics named `column.metric` (e.g. `gateway.rssRoundMB`) become one row per metric and one
 * column per prefix; metrics without a dot form a single `value` column.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatCell, type MetricValue } from './lib/harness.js';

interface ResultRecord {
  name: string;
  at: string;
  commit: string;
  machine: { cpus: number; model: string; node: string };
  load?: { start: number[]; end: number[] };
  params: Record<string, unknown>;
  metrics: Record<string, MetricValue>;
  targets?: { name: string; met: boolean; detail: string }[];
}

const RESULTS = fileURLToPath(new URL('results.jsonl', import.meta.url));

function paramsText(r: ResultRecord): string {
  return Object.entries(r.params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

function markdown(r: ResultRecord, only?: Set<string>): string {
  const columns: string[] = [];
  const rows = new Map<string, Map<string, MetricValue>>();
  for (const [key, value] of Object.entries(r.metrics)) {
    const dot = key.indexOf('.');
    const column = dot < 0 ? 'value' : key.slice(0, dot);
    const metric = dot < 0 ? key : key.slice(dot + 1);
    if (only && !only.has(metric)) continue;
    if (!columns.includes(column)) columns.push(column);
    const row = rows.get(metric) ?? new Map<string, MetricValue>();
    row.set(column, value);
    rows.set(metric, row);
  }
  const load = r.load ? `, load average ${r.load.start[0]} → ${r.load.end[0]}` : '';
  const lines = [
    `**${r.name}**, ${r.at.slice(0, 16).replace('T', ' ')} UTC, commit \`${r.commit}\`, ${r.machine.cpus} × ${r.machine.model}, node ${r.machine.node}${load}`,
    `params: \`${paramsText(r)}\``,
    '',
    `| metric | ${columns.join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
    ...[...rows].map(([metric, row]) => `| ${metric} | ${columns.map((c) => (row.has(c) ? formatCell(row.get(c) ?? null) : '')).join(' | ')} |`),
  ];
  if (r.targets?.length) lines.push('');
  for (const t of r.targets ?? []) lines.push(`- ${t.met ? 'met' : '**missed**'}: ${t.name}: ${t.detail}`);
  return lines.join('\n');
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { last: { type: 'string' }, metrics: { type: 'string' } } });
  const name = positionals[0];
  const records = readFileSync(RESULTS, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ResultRecord)
    .filter((r) => !name || r.name === name);
  const last = values.last ? records.slice(-Number(values.last)) : records;
  const only = values.metrics ? new Set(values.metrics.split(',')) : undefined;
  console.log(last.map((r) => markdown(r, only)).join('\n\n'));
}

main();
