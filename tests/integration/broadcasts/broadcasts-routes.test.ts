/**
 * /api/broadcasts on a fresh Fastify instance (the gateway's validation settings), with the
 * broadcast service sending through the real sms-smpp adapter to the simulated SMSC.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { broadcastsRoutes } from '../../../gateway/http/broadcasts-routes.js';
import { registerErrorHandling } from '../../../gateway/http/error-handler.js';
import { Counters } from '../../../gateway/core/counters.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  await h?.stop();
  app = undefined;
  h = undefined;
});

async function setup(): Promise<{ h: Harness; app: FastifyInstance }> {
  h = await startHarness();
  // Same ajv settings as gateway/http/server.ts: unknown properties are refused, not stripped.
  app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } } });
  registerErrorHandling(app, new Counters());
  broadcastsRoutes(app, { broadcasts: h.svc });
  await app.ready();
  return { h, app };
}

describe('/api/broadcasts', () => {
  it('a duty officer broadcasts to groups and ad-hoc numbers; the board reads states and the tally', async () => {
    const { h, app } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: '/api/broadcasts',
      payload: { text: '{school}门卫室请立即关闭校门，收到请回复1', groups: ['guard-posts', 'school-contacts'], siteId: 'sch-02', recipients: [{ name: '片区民警', phone: '13905719999' }], channels: ['sms'] },
      remoteAddress: '10.1.2.3',
    });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({
      text: '城东区第二中学门卫室请立即关闭校门，收到请回复1',
      createdBy: 'anonymous',
      drill: false,
      siteId: 'sch-02',
      state: 'open',
      groups: ['guard-posts', 'school-contacts', 'ad-hoc'],
      channels: ['sms'],
      tally: { total: 3, sent: 0, delivered: 0, confirmed: 0, failed: 0 },
    });
    expect(created.recipients.map((r: { name: string; group: string; address: string; state: string }) => [r.name, r.group, r.address, r.state])).toStrictEqual([
      ['城东区第二中学门卫室', 'guard-posts', '13805710201', 'queued'],
      ['城东区第二中学安保负责人', 'school-contacts', '13805710202', 'queued'],
      ['片区民警', 'ad-hoc', '13905719999', 'queued'],
    ]);
    await h.until(() => created.id as string, (b) => b.tally.delivered === 3);
    h.sim.reply('13805710201', '收到');
    const done = await h.until(() => created.id as string, (b) => b.tally.confirmed === 1);

    const one = await app.inject({ method: 'GET', url: `/api/broadcasts/${created.id as string}` });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toStrictEqual(JSON.parse(JSON.stringify(done)));
    expect(one.json().tally).toStrictEqual({ total: 3, sent: 3, delivered: 3, confirmed: 1, failed: 0 });

    const list = await app.inject({ method: 'GET', url: '/api/broadcasts?limit=10' });
    const { recipients: _r, ...summary } = done;
    expect(list.json()).toStrictEqual([JSON.parse(JSON.stringify(summary))]);

    expect((await h.store.auditEntries()).map((e) => ({ actor: e.actor, action: e.action, target: e.target, ip: e.ip, detail: e.detail }))).toStrictEqual([
      {
        actor: 'anonymous',
        action: 'broadcast.send',
        target: created.id,
        ip: '10.1.2.3',
        detail: { drill: false, groups: ['guard-posts', 'school-contacts', 'ad-hoc'], channels: ['sms'], recipients: 3, text: '城东区第二中学门卫室请立即关闭校门，收到请回复1' },
      },
    ]);
  });

  it('refuses bad requests with coded errors and answers 404 for unknown broadcasts', async () => {
    const { app, h } = await setup();
    const post = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/broadcasts', payload });
    const bad = await Promise.all([
      post({ text: 'x', groups: ['nobody'] }),
      post({ text: 'x', groups: ['guard-posts'], siteId: 'sch-99' }),
      post({ text: 'x', groups: ['guard-posts'], alarmId: 'no-such-alarm' }),
      post({ text: 'x' }),
      post({ text: 'x', recipients: [{ name: '无号码' }] }),
    ]);
    expect(bad.map((r) => [r.statusCode, r.json().code])).toStrictEqual([
      [400, 'GW_ERR_BROADCAST_UNKNOWN_GROUP'],
      [400, 'GW_ERR_BROADCAST_UNKNOWN_SITE'],
      [400, 'GW_ERR_BROADCAST_UNKNOWN_ALARM'],
      [400, 'GW_ERR_BROADCAST_NO_RECIPIENTS'],
      [400, 'GW_ERR_BROADCAST_NO_RECIPIENTS'],
    ]);
    expect(bad[0]?.json()).toStrictEqual({
      statusCode: 400,
      code: 'GW_ERR_BROADCAST_UNKNOWN_GROUP',
      error: 'BroadcastError',
      message: "unknown recipient group 'nobody' (known: station-patrol, guard-posts, school-contacts, all-guard-posts, oncall-supervisor, oncall-station-chief)",
    });
    const invalid = await Promise.all([
      post({ text: '', groups: ['guard-posts'] }),
      post({ text: 'x', groups: ['guard-posts'], priority: 'high' }),
      post({ text: 'x', groups: ['guard-posts'], channels: ['fax'] }),
      post({ text: 'x', recipients: [{ name: 'a', phone: 'abc' }] }),
    ]);
    expect(invalid.map((r) => r.statusCode)).toStrictEqual([400, 400, 400, 400]);
    const missing = await app.inject({ method: 'GET', url: '/api/broadcasts/nope' });
    expect([missing.statusCode, missing.json().code]).toStrictEqual([404, 'GW_ERR_BROADCAST_NOT_FOUND']);
    expect((await app.inject({ method: 'GET', url: '/api/broadcasts?limit=0' })).statusCode).toBe(400);
    expect(await h.store.auditEntries()).toStrictEqual([]);
    expect(h.sim.submits()).toStrictEqual([]);
  });
});
