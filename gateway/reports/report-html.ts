/**
 * Printable HTML of a sweep report, Chinese first with English: the district summary ("7 of
 * 33 schools"), schools and reasons, then every failing device with its reasons, last message
 * and evidence (latencies, receipts, snapshot thumbnails). No script; every value escaped;
 * pictures only from inline raster data or relative paths.
 */
import { isFailing } from '../core/sweeps/selection.js';
import type { SweepResult } from '../core/sweeps/types.js';
import type { Scalar } from '../contract/types.js';
import { DEFAULT_REPORT_TIME_ZONE, durationText, localTime, sortEvidence } from './report-format.js';
import { bilingual, KIND_LABELS, reasonLabel, STATE_LABELS, STATUS_LABELS, type Bilingual } from './report-labels.js';
import type { SweepReport } from './report-model.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string | number | boolean): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const two = (l: Bilingual) => `${escapeHtml(l.zh)}<span class="en">${escapeHtml(l.en)}</span>`;
const th = (zh: string, en: string) => `<th>${two({ zh, en })}</th>`;

const STYLE = `
@page { size: A4; margin: 14mm 12mm; }
body { font: 12px/1.45 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; color: #111; margin: 0 auto; max-width: 1100px; padding: 12px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 18px 0 6px; border-bottom: 2px solid #333; }
.en { display: block; color: #555; font-size: 0.85em; font-weight: normal; }
h1 .en, h2 .en { display: inline; margin-left: 8px; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #999; padding: 3px 5px; vertical-align: top; text-align: left; }
th { background: #eee; } tr { page-break-inside: avoid; } td.n { text-align: right; white-space: nowrap; }
.meta td:first-child { width: 160px; background: #f6f6f6; }
.big { font-size: 16px; font-weight: bold; } .bad { color: #b00020; } .ok { color: #106b21; }
.reason { white-space: nowrap; } .code { font-family: monospace; color: #444; }
.ev { font-family: monospace; font-size: 11px; word-break: break-all; } img.thumb { max-width: 160px; max-height: 100px; border: 1px solid #999; display: block; margin: 2px 0; }
.integrity { font-family: monospace; font-size: 11px; word-break: break-all; }
`;

function evidenceCell(evidence: Readonly<Record<string, Scalar>>): string {
  const e = sortEvidence(evidence);
  const kv = (pairs: [string, Scalar][]) => pairs.map(([k, v]) => `${escapeHtml(k)}=${escapeHtml(String(v).slice(0, 300))}`).join('<br>');
  const blocks: string[] = [];
  if (e.latencies.length) blocks.push(`<div><b>时延 Latency</b><br>${kv(e.latencies)}</div>`);
  if (e.receipts.length) blocks.push(`<div><b>回执 Receipts</b><br>${kv(e.receipts)}</div>`);
  for (const img of e.images) blocks.push(`<div>${escapeHtml(img.key)}<img class="thumb" alt="${escapeHtml(img.key)}" src="${escapeHtml(img.src)}"></div>`);
  if (e.other.length) blocks.push(`<div>${kv(e.other)}</div>`);
  return `<td class="ev">${blocks.join('')}</td>`;
}

function failingRow(r: SweepResult, report: SweepReport, siteName: string, tz: string): string {
  const reasons = r.reasons
    .map((x) => `<div class="reason">${two(reasonLabel(x.code))}<span class="code">${escapeHtml(x.code)}${x.detail ? ` — ${escapeHtml(x.detail)}` : ''}</span></div>`)
    .join('');
  const lastSeen = r.lastSeen === undefined ? '从未上报<span class="en">never</span>' : escapeHtml(localTime(r.lastSeen, tz));
  return `<tr><td>${escapeHtml(siteName)}<span class="en code">${escapeHtml(r.siteId)}</span></td>
<td>${escapeHtml(report.context.devices[r.deviceId]?.name ?? r.deviceId)}<span class="en code">${escapeHtml(r.deviceId)}</span></td>
<td>${two(KIND_LABELS[r.kind] ?? { zh: r.kind, en: r.kind })}</td><td class="bad">${two(STATUS_LABELS[r.status])}</td>
<td>${reasons}</td><td>${lastSeen}</td>${evidenceCell(r.evidence)}</tr>`;
}

export function renderHtml(report: SweepReport, opts: { timeZone?: string } = {}): string {
  const tz = opts.timeZone ?? DEFAULT_REPORT_TIME_ZONE;
  const { sweep, context } = report;
  const s = sweep.summary;
  const siteName = new Map(context.sites.map((x) => [x.id, x.name]));
  const district = context.district ? bilingual({ zh: context.district.name, en: context.district.nameEn ?? context.district.id }) : '';
  const failing = report.results.filter(isFailing);
  const title = `设备巡检报告 Device health sweep report — ${sweep.id}`;
  const state = STATE_LABELS[sweep.state] ?? { zh: sweep.state, en: sweep.state };

  const meta = [
    ['辖区', 'District', escapeHtml(district)],
    ['巡检编号', 'Sweep', `<span class="code">${escapeHtml(sweep.id)}</span>${sweep.name ? ` ${escapeHtml(sweep.name)}` : ''}`],
    ['发起', 'Started by', escapeHtml(sweep.trigger)],
    ['开始时间', 'Started', escapeHtml(localTime(sweep.createdAt, tz))],
    ['结束时间', 'Finished', sweep.finishedAt === undefined ? '—' : `${escapeHtml(localTime(sweep.finishedAt, tz))}（${escapeHtml(durationText(sweep.finishedAt - sweep.createdAt))}）`],
    ['状态', 'State', `${two(state)}${sweep.cancelReason ? ` <span class="code">${escapeHtml(sweep.cancelReason)}</span>` : ''}`],
    ['时区', 'Time zone', escapeHtml(tz)],
  ]
    .map(([zh, en, v]) => `<tr><td>${two({ zh: zh as string, en: en as string })}</td><td>${v}</td></tr>`)
    .join('');

  const headline = s
    ? `<p class="big">${s.sites.total} 所学校中 <span class="${s.sites.failing ? 'bad' : 'ok'}">${s.sites.failing} 所</span>有设备故障；
设备 ${s.done}/${s.total} 台已检，正常 <span class="ok">${s.ok}</span> 台，故障 <span class="${s.failing ? 'bad' : 'ok'}">${s.failing}</span> 台。
<span class="en">${s.sites.failing} of ${s.sites.total} schools with faults; ${s.done} of ${s.total} devices checked: ${s.ok} OK, ${s.failing} failing.</span></p>`
    : '';

  const bySite = (s?.bySite ?? [])
    .slice()
    .sort((a, b) => b.failing - a.failing || (a.siteId < b.siteId ? -1 : 1))
    .map((x) => {
      const reasons = Object.entries(x.reasons)
        .map(([code, n]) => `${escapeHtml(reasonLabel(code).zh)} <span class="code">${escapeHtml(code)}</span> ×${n}`)
        .join('<br>');
      return `<tr><td>${escapeHtml(siteName.get(x.siteId) ?? x.siteId)}<span class="en code">${escapeHtml(x.siteId)}</span></td><td class="n">${x.total}</td><td class="n ok">${x.ok}</td><td class="n ${x.failing ? 'bad' : ''}">${x.failing}</td><td>${reasons}</td></tr>`;
    })
    .join('\n');

  const byReason = (s?.byReason ?? [])
    .map((x) => `<tr><td>${two(reasonLabel(x.code))}<span class="code">${escapeHtml(x.code)}</span></td><td class="n">${x.devices}</td><td class="n">${x.sites}</td></tr>`)
    .join('\n');

  const failingRows = failing.map((r) => failingRow(r, report, siteName.get(r.siteId) ?? r.siteId, tz)).join('\n');
  const i = report.integrity;

  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>设备巡检报告<span class="en">Device health sweep report</span></h1>
<table class="meta">${meta}</table>
<h2>概要<span class="en">Summary</span></h2>
${headline}
<h2>按学校<span class="en">By school</span></h2>
<table><thead><tr>${th('学校', 'School')}${th('已检', 'Checked')}${th('正常', 'OK')}${th('故障', 'Failing')}${th('原因', 'Reasons')}</tr></thead>
<tbody>
${bySite}
</tbody></table>
<h2>按原因<span class="en">By reason</span></h2>
${byReason ? `<table><thead><tr>${th('原因', 'Reason')}${th('设备数', 'Devices')}${th('学校数', 'Schools')}</tr></thead><tbody>\n${byReason}\n</tbody></table>` : '<p>无故障。<span class="en">No faults.</span></p>'}
<h2>故障设备<span class="en">Failing devices</span> (${failing.length})</h2>
${failing.length ? `<table><thead><tr>${th('学校', 'School')}${th('设备', 'Device')}${th('类型', 'Kind')}${th('状态', 'Status')}${th('原因', 'Reasons')}${th('最后上报', 'Last seen')}${th('证据', 'Evidence')}</tr></thead><tbody>\n${failingRows}\n</tbody></table>` : '<p>所有设备正常。<span class="en">Every device is OK.</span></p>'}
<h2>报告校验<span class="en">Integrity</span></h2>
<p class="integrity">SHA-256 (RFC 8785 canonical JSON) · 链序号 seq ${i.seq}<br>content ${escapeHtml(i.contentHash)}<br>prev&nbsp;&nbsp;&nbsp; ${escapeHtml(i.prevHash)}<br>hash&nbsp;&nbsp;&nbsp; ${escapeHtml(i.hash)}<br>核验 Verify: GET /api/sweeps/chain/verify</p>
</body>
</html>
`;
}
