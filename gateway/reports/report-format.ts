/** Formatting shared by the report renderers: times in the district's zone, evidence sorted by what it shows. */
import type { Scalar } from '../contract/types.js';

export const DEFAULT_REPORT_TIME_ZONE = 'Asia/Shanghai';

function parts(ms: number, timeZone: string): Record<string, string> {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  });
  return Object.fromEntries(fmt.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
}

/** `2026-11-23 08:00:00` in the zone (what a person reads). */
export function localTime(ms: number, timeZone = DEFAULT_REPORT_TIME_ZONE): string {
  const p = parts(ms, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** ISO 8601 with the zone's offset, `2026-11-23T08:00:00+08:00` (what a spreadsheet parses). */
export function isoInZone(ms: number, timeZone = DEFAULT_REPORT_TIME_ZONE): string {
  const p = parts(ms, timeZone);
  const offset = (p.timeZoneName ?? 'GMT').replace(/^GMT/, '') || '+00:00';
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${offset}`;
}

export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Only inline raster images are shown as pictures: no scripts, no SVG, no remote fetches. */
const DATA_IMAGE = /^data:image\/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/;
/** A file path or same-origin URL of a snapshot (shown where the report is opened next to it). */
const IMAGE_PATH = /^(?:\/|\.{0,2}\/?)[\w./@-]*\.(?:jpe?g|png|webp|gif)$/i;
const LATENCY_KEY = /latency|rtt|Ms$/i;
const RECEIPT_KEY = /receipt|reference|delivered|messageId|acked|\back\b/i;

export interface SortedEvidence {
  images: { key: string; src: string }[];
  latencies: [string, Scalar][];
  receipts: [string, Scalar][];
  other: [string, Scalar][];
}

export function isImageEvidence(v: Scalar): v is string {
  return typeof v === 'string' && (DATA_IMAGE.test(v) || IMAGE_PATH.test(v));
}

export function sortEvidence(evidence: Readonly<Record<string, Scalar>>): SortedEvidence {
  const out: SortedEvidence = { images: [], latencies: [], receipts: [], other: [] };
  for (const key of Object.keys(evidence).sort()) {
    const v = evidence[key] as Scalar;
    if (isImageEvidence(v)) out.images.push({ key, src: v });
    else if (typeof v === 'number' && LATENCY_KEY.test(key)) out.latencies.push([key, v]);
    else if (RECEIPT_KEY.test(key)) out.receipts.push([key, v]);
    else out.other.push([key, v]);
  }
  return out;
}

/** One line of evidence for CSV cells and terminals: inline images become `[image]`. */
export function evidenceText(evidence: Readonly<Record<string, Scalar>>, maxValueChars = 120): string {
  return Object.keys(evidence)
    .sort()
    .map((k) => {
      const v = evidence[k] as Scalar;
      const text = typeof v === 'string' && DATA_IMAGE.test(v) ? '[image]' : String(v);
      return `${k}=${text.length > maxValueChars ? `${text.slice(0, maxValueChars)}…` : text}`;
    })
    .join('; ');
}
