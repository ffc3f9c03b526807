/**
 * The scenario report for people (a plain-text table: every step with the second it fired,
 * every expectation with its deadline and the measured seconds) and for machines (JSON).
 */
import type { ScenarioReport } from './runner.js';

const s = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(2)}s`);

export function formatReport(r: ScenarioReport): string {
  const lines: string[] = [];
  lines.push(`${r.passed ? 'PASS' : 'FAIL'}  ${r.name}${r.source ? `  (${r.source})` : ''}`);
  lines.push(`      ${r.description.trim().split('\n').join(' ')}`);
  lines.push(`      started ${r.startedAt}${r.clock ? `, gateway clock ${r.clock}` : ''}; setup ${s(r.setupSeconds)}, timeline ${s(r.durationSeconds)}`);
  if (r.target) lines.push(`      against the running gateway ${r.target}`);
  for (const note of r.notes ?? []) lines.push(`      note: ${note}`);
  lines.push('  steps');
  for (const step of r.steps) {
    const outcome = step.error ? `ERROR ${step.error}` : step.finishedAt === undefined ? 'UNFINISHED' : 'ok';
    lines.push(`    at ${s(step.at).padStart(7)}  fired ${s(step.startedAt).padStart(7)}  ${step.do.padEnd(40)} ${outcome}`);
  }
  lines.push('  expectations');
  for (const e of r.expectations) {
    // A figure's measured value is the figure itself (its detail names it), not seconds.
    const measured = e.kind === 'figure' ? (e.measured === undefined ? '—' : String(e.measured)) : s(e.measured);
    lines.push(`    ${e.verdict.toUpperCase().padEnd(5)} ${e.label.padEnd(60)} measured ${measured.padStart(7)}  ${e.detail}`);
  }
  const figures = Object.entries(r.figures ?? {});
  if (figures.length > 0) {
    lines.push('  figures');
    const width = Math.max(...figures.map(([k]) => k.length));
    for (const [k, v] of figures) lines.push(`    ${k.padEnd(width)}  ${Number.isInteger(v) ? v.toLocaleString('en-US') : String(v)}`);
  }
  const failed = r.expectations.filter((e) => e.verdict !== 'pass').length;
  lines.push(`  ${r.expectations.length - failed}/${r.expectations.length} expectations met`);
  return `${lines.join('\n')}\n`;
}

/** One report as an object, several as an array. */
export function reportJson(r: ScenarioReport | ScenarioReport[]): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
