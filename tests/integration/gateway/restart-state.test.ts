/**
 * State that survives a kill -9 of the gateway process (issue 18): an operator lockout holds
 * after the restart; a radio roll-call sent before the kill is still answered after it (the
 * radio box, a real MQTT client here, confirms on the patrol talkgroup once the new process is up).
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RadioGatewaySimulator } from '../../../simulators/radio-gateway/radio-gateway-simulator.js';
import { spawnGateway, type GatewayProcess } from '../../helpers/gateway-process.js';
import { eventually, tempDir } from '../../helpers/gateway.js';

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

  it('a radio roll-call sent before the gateway is killed is confirmed by an answer after it', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const env = { DATA_DIR: dataDir };
    const first = await spawnGateway(env);
    procs.push(first);
    const box = (await (await first.api('/api/devices/radio-gw-1')).json()) as { siteId: string };
    const radio = new RadioGatewaySimulator();
    try {
      // The box survives the gateway (it is a device): it reconnects to whatever listens on the port.
      await radio.start({ url: first.mqttUrl, deviceId: 'radio-gw-1', siteId: box.siteId, password: 'demo-pass-radio-gw-1', reconnectMs: 200 });
      const res = await first.api('/api/broadcasts', {
        method: 'POST',
        as: 'duty',
        body: JSON.stringify({ text: '全体巡逻组请确认', channels: ['radio'], recipients: [{ name: '巡逻 07', radio: { talkgroup: 'tg-patrol', unit: 'patrol-07' } }] }),
      });
      expect(res.status).toBe(201);
      const broadcast = (await res.json()) as { id: string };
      await radio.waitFor((r) => r.kind === 'announce' && r.id === broadcast.id, { timeoutMs: 20_000 });
      const sent = await eventually(async () => {
        const b = (await (await first.api(`/api/broadcasts/${broadcast.id}`)).json()) as { recipients: { state: string }[] };
        return b.recipients[0]?.state === 'sent' ? b : undefined;
      }, { timeoutMs: 20_000 });
      expect(sent.recipients.map((r) => r.state)).toStrictEqual(['sent']);

      expect(await first.kill('SIGKILL')).toBeNull();
      // The same ports: the box reconnects to the new process by itself.
      const second = await spawnGateway({ ...env, HTTP_PORT: String(first.httpPort), MQTT_PORT: String(first.mqttPort) });
      procs.push(second);
      await eventually(async () => ((await (await second.api('/api/devices/radio-gw-1')).json()) as { health?: { status?: string } }).health?.status === 'ok', { timeoutMs: 30_000 });
      await radio.rollCall(broadcast.id, 'patrol-07', 'tg-patrol');
      const confirmed = await eventually(async () => {
        const b = (await (await second.api(`/api/broadcasts/${broadcast.id}`)).json()) as { recipients: { state: string }[] };
        return b.recipients[0]?.state === 'confirmed' ? b : undefined;
      }, { timeoutMs: 20_000 });
      expect(confirmed.recipients.map((r) => r.state)).toStrictEqual(['confirmed']);
    } finally {
      await radio.stop();
    }
  }, 180_000);
});
