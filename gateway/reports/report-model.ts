/**
 * What a sweep report is, independent of its rendering: the sweep, the names captured when it
 * started, every result (in site, then device order), and its link in the hash chain. JSON,
 * CSV and HTML are renderings of this one model; the chain covers the model.
 */
import type { ReportLink, SweepContext, SweepRecord, SweepResult } from '../core/sweeps/types.js';
import { canonicalJson, sha256Hex } from './report-chain.js';

export const REPORT_VERSION = 1;

export interface SweepReportContent {
  version: typeof REPORT_VERSION;
  sweep: SweepRecord;
  context: SweepContext;
  results: SweepResult[];
}

export interface SweepReport extends SweepReportContent {
  integrity: ReportLink & { algorithm: 'sha256'; canonicalization: 'RFC 8785' };
}

const byPlace = (a: SweepResult, b: SweepResult) => (a.siteId === b.siteId ? (a.deviceId < b.deviceId ? -1 : 1) : a.siteId < b.siteId ? -1 : 1);

export function reportContent(sweep: SweepRecord, context: SweepContext, results: readonly SweepResult[]): SweepReportContent {
  return { version: REPORT_VERSION, sweep, context, results: [...results].sort(byPlace) };
}

export function contentHash(content: SweepReportContent): string {
  return sha256Hex(canonicalJson(content));
}

export function sealedReport(content: SweepReportContent, link: ReportLink): SweepReport {
  return { ...content, integrity: { ...link, algorithm: 'sha256', canonicalization: 'RFC 8785' } };
}
