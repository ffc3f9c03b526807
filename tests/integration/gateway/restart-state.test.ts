/**
 * State that survives a kill -9 of the gateway process (issue 18): an operator lockout holds
 * after the restart.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import { tempDir } from '../../helpers/gateway.js';

async function login(baseUrl: string, username: string, password: string): Promise<Response> {
  return fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
    signal: AbortSignal.timeout(10_000),
  });
}

describe('state across SIGKILL', () => {
  const procs: GatewayProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('five failed logins lock an account, and the lock holds after the gateway is killed and started again', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const env = { DATA_DIR: dataDir };
    const first = await spawnGateway(env);
    procs.push(first);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await login(first.baseUrl, 'sch-33', `wrong-${i}`)).status);
    expect(statuses).toStrictEqual([401, 401, 401, 401, 429]);
    expect((await login(first.baseUrl, 'sch-33', 'demo-pass-sch-33')).status).toBe(429);

    expect(await first.kill('SIGKILL')).toBeNull(); // killed, no exit code: nothing was flushed on the way out

    const second = await spawnGateway(env);
    procs.push(second);
    const locked = await login(second.baseUrl, 'sch-33', 'demo-pass-sch-33');
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { code: string }).code).toBe('GW_ERR_LOCKED_OUT');
    // The lock is the account's from that address, not the gateway's: another account logs in.
    expect((await login(second.baseUrl, 'sch-32', 'demo-pass-sch-32')).status).toBe(200);
  }, 120_000);
});
