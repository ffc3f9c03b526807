/**
 * Builds dashboard/dist when it is missing or older than its sources (what `npm start` runs
 * first, and what the end-to-end tests call).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DASHBOARD = fileURLToPath(new URL('../dashboard', import.meta.url));
const DIST_INDEX = join(DASHBOARD, 'dist', 'index.html');
/** Gateway code the dashboard bundles (the contract's catalogues, the broadcast tally): a change there is a change of the dashboard. */
const SHARED = [fileURLToPath(new URL('../gateway/contract', import.meta.url)), fileURLToPath(new URL('../gateway/core/broadcast/tally.ts', import.meta.url))];

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

export async function ensureDashboardBuilt(): Promise<boolean> {
  const sources = Math.max(newestMtime(join(DASHBOARD, 'src')), newestMtime(join(DASHBOARD, 'index.html')), newestMtime(join(DASHBOARD, 'vite.config.ts')), ...SHARED.map(newestMtime));
  if (existsSync(DIST_INDEX) && statSync(DIST_INDEX).mtimeMs >= sources) return false;
  const { build } = await import('vite');
  await build({ configFile: join(DASHBOARD, 'vite.config.ts'), logLevel: 'warn' });
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureDashboardBuilt().then(
    (built) => process.stdout.write(built ? 'dashboard built (dashboard/dist)\n' : 'dashboard up to date\n'),
    (err: unknown) => {
      process.stderr.write(`dashboard build failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
