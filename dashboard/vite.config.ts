/**
 * Builds the duty-officer dashboard to dashboard/dist, which the gateway serves at `/`
 * (gateway/http/server.ts). Run from the repository root:
 *   vite build --config dashboard/vite.config.ts
 * Development against a running gateway: GATEWAY_URL=http://127.0.0.1:8080 vite --config dashboard/vite.config.ts
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  // Relative asset URLs: the dashboard also works when a proxy mounts the gateway under a prefix.
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api/live': { target: gateway.replace(/^http/, 'ws'), ws: true },
      '^/api/cameras/.*/live$': { target: gateway.replace(/^http/, 'ws'), ws: true },
      '/api': { target: gateway },
    },
  },
});
