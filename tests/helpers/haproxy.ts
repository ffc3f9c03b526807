/**
 * A real HAProxy for integration tests (scripts/lib/haproxy-engine.ts): frontends on free
 * loopback ports in front of the given servers, checked every 200 ms so a test sees a server
 * go down or come back within half a second.
 */
import { startHaproxy, type HaproxyEngine, type HaproxyFrontend } from '../../scripts/lib/haproxy-engine.js';

export type TestHaproxy = HaproxyEngine;

export function startTestHaproxy(frontends: HaproxyFrontend[], opts: { checkIntervalMs?: number } = {}): Promise<TestHaproxy> {
  return startHaproxy({ frontends, checkIntervalMs: opts.checkIntervalMs ?? 200 });
}
