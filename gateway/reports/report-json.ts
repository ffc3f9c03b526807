/** JSON rendering of a sweep report: the model itself, integrity link included. */
import type { SweepReport } from './report-model.js';

export function renderJson(report: SweepReport, _opts: { timeZone?: string } = {}): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
