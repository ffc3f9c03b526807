/**
 * The folder holding package.json. Files the gateway reads at run time (config/default.yaml,
 * dashboard/dist) sit there, whether it runs from sources (tsx gateway/main.ts) or from the
 * compiled build (node dist/gateway/main.js), where paths relative to the module are one
 * level deeper.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`GW_ERR_INSTALL: no package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
