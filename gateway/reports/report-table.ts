/**
 * Plain-text rendering for a terminal (the `npm run sweep` summary): columns aligned by
 * display width, since a Chinese character takes two terminal cells (UAX #11 East Asian Wide).
 */
import { isFailing } from '../core/sweeps/selection.js';
import { DEFAULT_REPORT_TIME_ZONE, durationText, localTime } from './report-format.js';
import { reasonLabel } from './report-labels.js';
import type { SweepReport } from './report-model.js';

/** Wide and fullwidth ranges of UAX #11 that school and device names use (CJK, Hangul, fullwidth forms). */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += isWide(ch.codePointAt(0) ?? 0) ? 2 : 1;
  return w;
}

export function padCells(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: readonly string[]) => cells.map((c, i) => padCells(c, widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function renderTable(report: SweepReport, opts: { timeZone?: string } = {}): string {
  const tz = opts.timeZone ?? DEFAULT_REPORT_TIME_ZONE;
  const { sweep, context } = report;
  const s = sweep.summary;
  const siteName = new Map(context.sites.map((x) => [x.id, x.name]));
  const out: string[] = [];
  const took = sweep.finishedAt === undefined ? '' : ` in ${durationText(sweep.finishedAt - sweep.createdAt)}`;
  out.push(`Sweep ${sweep.id} ${sweep.state}${took}${sweep.cancelReason ? ` (${sweep.cancelReason})` : ''}`);
  if (s) {
    out.push(`设备 Devices: ${s.done}/${s.total} checked, ${s.ok} ok, ${s.failing} failing`);
    out.push(`学校 Schools: ${s.sites.failing} of ${s.sites.total} with faults`);
    const sites = s.bySite.filter((x) => x.failing > 0);
    if (sites.length > 0) {
      out.push('');
      out.push(
        textTable(
          ['学校 School', '', 'Checked', 'Failing', '原因 Reasons'],
          sites.map((x) => [x.siteId, siteName.get(x.siteId) ?? '', String(x.total), String(x.failing), Object.entries(x.reasons).map(([c, n]) => `${c}×${n}`).join(' ')]),
        ),
      );
    }
  }
  const failing = report.results.filter(isFailing);
  if (failing.length > 0) {
    out.push('');
    out.push(
      textTable(
        ['设备 Device', '学校 School', 'Status', '原因 Reasons', '最后上报 Last seen'],
        failing.map((r) => [
          r.deviceId,
          r.siteId,
          r.status,
          r.reasons.map((x) => `${x.code}${x.detail ? ` (${x.detail})` : ''} ${reasonLabel(x.code).zh}`).join('; '),
          r.lastSeen === undefined ? 'never' : localTime(r.lastSeen, tz),
        ]),
      ),
    );
  }
  out.push('');
  out.push(`sha256 ${report.integrity.hash} (seq ${report.integrity.seq})`);
  return `${out.join('\n')}\n`;
}
