/**
 * CSV rendering of a sweep report: RFC 4180 (CRLF line ends, fields with `"` `,` CR or LF
 * quoted, quotes doubled), UTF-8 with a BOM so Excel opens Chinese school names correctly,
 * and cells that a spreadsheet would run as a formula neutralised (OWASP "CSV injection").
 */
import { isFailing } from '../core/sweeps/selection.js';
import type { SweepReport } from './report-model.js';
import { bilingual, KIND_LABELS, reasonLabel, STATUS_LABELS } from './report-labels.js';
import { DEFAULT_REPORT_TIME_ZONE, evidenceText, isoInZone } from './report-format.js';

export const CSV_BOM = '\uFEFF';

const HEADER = [
  '学校编号 Site ID',
  '学校 School',
  '设备编号 Device ID',
  '设备 Device',
  '类型 Kind',
  '状态 Status',
  '故障 Failing',
  '原因 Reasons',
  '最后上报 Last seen',
  '检查时间 Checked at',
  '用时(ms) Duration (ms)',
  '方式 Method',
  '证据 Evidence',
];

/** A cell as RFC 4180 §2.6–2.7 wants it, and never a formula (=, +, -, @, tab, CR lead). */
export function csvCell(value: string | number | boolean | undefined): string {
  let text = value === undefined ? '' : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly (string | number | boolean | undefined)[]): string {
  return cells.map(csvCell).join(',');
}

export function renderCsv(report: SweepReport, opts: { timeZone?: string } = {}): string {
  const tz = opts.timeZone ?? DEFAULT_REPORT_TIME_ZONE;
  const siteNames = new Map(report.context.sites.map((s) => [s.id, s.name]));
  const lines = [csvLine(HEADER)];
  for (const r of report.results) {
    lines.push(
      csvLine([
        r.siteId,
        siteNames.get(r.siteId) ?? r.siteId,
        r.deviceId,
        report.context.devices[r.deviceId]?.name ?? r.deviceId,
        bilingual(KIND_LABELS[r.kind] ?? { zh: r.kind, en: r.kind }, ' '),
        `${r.status} ${STATUS_LABELS[r.status].zh}`,
        isFailing(r) ? 1 : 0,
        r.reasons.map((x) => `${x.code} ${reasonLabel(x.code).zh}${x.detail ? `: ${x.detail}` : ''}`).join('; '),
        r.lastSeen === undefined ? '' : isoInZone(r.lastSeen, tz),
        isoInZone(r.startedAt, tz),
        r.durationMs,
        r.method,
        evidenceText(r.evidence),
      ]),
    );
  }
  const i = report.integrity;
  const trailer = ['报告校验 Report integrity', `sweep=${report.sweep.id}`, `seq=${i.seq}`, `sha256=${i.hash}`, `prev=${i.prevHash}`, `content=${i.contentHash}`];
  // Same field count on every record (RFC 4180 §2.4), after an empty separating record.
  lines.push(csvLine(HEADER.map(() => '')), csvLine([...trailer, ...HEADER.slice(trailer.length).map(() => '')]));
  return `${CSV_BOM}${lines.join('\r\n')}\r\n`;
}
