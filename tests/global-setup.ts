/**
 * Once before the suite: the dashboard must be built, because the gateway serves it and the
 * route tests (access matrix, HTTP fuzz) and browser tests expect its files, whichever file
 * runs first.
 */
import { ensureDashboardBuilt } from '../scripts/ensure-dashboard.js';

export default async function setup(): Promise<void> {
  await ensureDashboardBuilt();
}
