import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildMessage } from '../../../../adapters/shared/dc09/dc09-transmitter-logic.js';
import { Dc09Transmitter } from '../../../../adapters/shared/dc09/dc09-transmitter.js';
import { AlarmCentreSimulator } from '../../../../simulators/alarm-centre/alarm-centre-simulator.js';
import { Dc09PanelSimulator, type Dc09PanelOptions } from '../../../../simulators/alarm-centre/panel.js';

const KEY = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function centre(keys?: Record<string, Uint8Array>): Promise<{ sim: AlarmCentreSimulator; port: number; http: string }> {
  const sim = new AlarmCentreSimulator();
  const { port, httpPort } = await sim.start({ port: 0, httpPort: 0, ...(keys ? { keys } : {}) });
  cleanups.push(() => sim.stop());
  return { sim, port, http: `http://127.0.0.1:${httpPort}` };
}

async function panel(port: number, opts: Partial<Dc09PanelOptions> = {}): Promise<Dc09PanelSimulator> {
  const p = new Dc09PanelSimulator({ host: '127.0.0.1', port, account: '1234', ackTimeoutMs: 2000, ...opts });
  await p.start();
  cleanups.push(() => p.stop());
  return p;
}

describe('AlarmCentreSimulator', () => {
  it('ACKs and records a panic, a test and a link test; HTTP lists, filters and clears them', async () => {
    const { sim, port, http } = await centre();
    const p = await panel(port);
    expect((await p.panic(7, 2)).reply).toBe('ack');
    expect((await p.test('periodic')).reply).toBe('ack');
    const other = await panel(port, { account: 'ABCD', protocol: 'cid' });
    expect((await other.test('manual')).reply).toBe('ack');
    expect((await p.linkTest()).reply).toBe('ack');

    const rec = await sim.waitForMessage((m) => m.account === 'ABCD', 1000);
    expect(rec.payload).toStrictEqual({
      kind: 'cid',
      cid: { account: 'ABCD', qualifier: 1, code: '601', rawCode: '601', partition: 0, zoneOrUser: 0, isUser: false, kind: 'test-manual' },
    });
    expect(sim.messages().map((m) => [m.id, m.account, m.token, m.sequence, m.data])).toStrictEqual([
      [1, '1234', 'SIA-DCS', 1, '#1234|Nri2/PA7'],
      [2, '1234', 'SIA-DCS', 2, '#1234|NRP'],
      [3, 'ABCD', 'ADM-CID', 1, '#ABCD|1601 00 000'],
      [4, '1234', 'NULL', 3, ''],
    ]);

    const all = (await (await fetch(`${http}/messages`)).json()) as { messages: unknown[] };
    expect(all.messages.length).toBe(4);
    const filtered = (await (await fetch(`${http}/messages?account=abcd`)).json()) as { messages: { account: string }[] };
    expect(filtered.messages.map((m) => m.account)).toStrictEqual(['ABCD']);
    expect((await fetch(`${http}/messages`, { method: 'DELETE' })).status).toBe(204);
    expect(sim.messages()).toStrictEqual([]);
    const status = (await (await fetch(`${http}/status`)).json()) as Record<string, unknown>;
    expect(status).toStrictEqual({
      mode: 'normal',
      delayMs: 0,
      listening: true,
      port,
      httpPort: Number(new URL(http).port),
      counts: { accepted: 4, naked: 0, dropped: 0, rejected: 0, blackholed: 0 },
      rejects: {},
    });
  });

  it('accepts encrypted panels with the configured key and DUHs those it has no key for', async () => {
    const { sim, port } = await centre({ '1234': KEY });
    const p = await panel(port, { key: KEY });
    const r = await p.panic();
    expect(r.reply).toBe('ack');
    expect(r.frame?.encrypted).toBe(true);
    expect(sim.messages()[0]?.encrypted).toBe(true);
    const stranger = await panel(port, { account: '9999', key: KEY });
    expect((await stranger.panic()).reply).toBe('duh');
    expect(sim.status().rejects).toStrictEqual({ 'no-key': 1 });
  });

  it("'nak' mode NAKs; a panel with a wrong clock is NAKed, corrects itself and is ACKed", async () => {
    const { sim, port, http } = await centre();
    const modeRes = await fetch(`${http}/mode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'nak' }),
    });
    expect(modeRes.status).toBe(200);
    const p = await panel(port);
    expect((await p.panic()).reply).toBe('nak');
    expect(sim.messages()).toStrictEqual([]);
    await sim.setMode('normal');

    const drifting = await panel(port, { account: '5555', clockOffsetMs: -300_000 });
    const first = await drifting.panic();
    expect(first.reply).toBe('nak');
    expect(Math.abs(drifting.clockOffsetMs)).toBeLessThan(5000);
    expect((await drifting.retry()).reply).toBe('ack');
    expect(sim.status().counts).toStrictEqual({ accepted: 1, naked: 1, dropped: 0, rejected: 1, blackholed: 0 });
    expect(sim.status().rejects).toStrictEqual({ timestamp: 1 });
  });

  it("'down' refuses connections until the mode changes back, then recovers on the same port", async () => {
    const { sim, port } = await centre();
    await sim.setMode('down');
    expect(sim.status().listening).toBe(false);
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    const p = await panel(port);
    const r = await p.panic();
    expect([r.reply, r.detail]).toStrictEqual(['closed', 'ECONNREFUSED']);
    await sim.setMode('normal');
    expect(sim.status().port).toBe(port);
    expect((await p.retry()).reply).toBe('ack');
    expect(sim.messages().length).toBe(1);
  });

  it("'delay' stores and ACKs late: a short ACK timeout expires, the retry is ACKed, stored once", async () => {
    const { sim, port } = await centre();
    await sim.setMode('delay', 400);
    const p = await panel(port, { ackTimeoutMs: 100 });
    expect((await p.panic()).reply).toBe('timeout');
    const rec = await sim.waitForMessage(() => true, 5000);
    expect(rec.sequence).toBe(1);
    expect((await p.retry()).reply).toBe('ack');
    expect(sim.messages().length).toBe(1);
    const patient = await panel(port, { account: '7777', ackTimeoutMs: 5000 });
    const slow = patient.panic();
    const stored = await sim.waitForMessage((m) => m.account === '7777', 5000);
    expect(stored.sequence).toBe(1);
    expect((await slow).reply).toBe('ack');
  });

  it("'drop' swallows messages without a reply or a record; after 'normal' the retry lands once", async () => {
    const { sim, port } = await centre();
    await sim.setMode('drop');
    const p = await panel(port, { ackTimeoutMs: 200 });
    expect((await p.panic()).reply).toBe('timeout');
    expect(sim.messages()).toStrictEqual([]);
    expect(sim.status().counts.dropped).toBe(1);
    await sim.setMode('normal');
    expect((await p.retry()).reply).toBe('ack');
    expect((await p.retry()).reply).toBe('ack');
    expect(sim.messages().map((m) => m.sequence)).toStrictEqual([1]);
  });

  it("'blackhole' keeps the open connection silent and gives a new one neither SYN-ACK nor RST; 'normal' listens again on the same port", async () => {
    const { sim, port } = await centre();
    const p = await panel(port, { persistent: true, ackTimeoutMs: 500 });
    expect((await p.panic()).reply).toBe('ack');
    await sim.setMode('blackhole');
    expect(sim.status()).toMatchObject({ mode: 'blackhole', listening: false, port });
    // Sent on the connection opened before: swallowed, never answered, never closed.
    expect((await p.panic()).reply).toBe('timeout');
    expect(sim.status().counts.blackholed).toBe(1);
    const fresh = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.setTimeout(1000);
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      s.once('timeout', () => {
        s.destroy();
        resolve('no answer');
      });
    });
    expect(fresh).toBe('no answer');
    await sim.setMode('normal');
    expect(sim.status()).toMatchObject({ mode: 'normal', listening: true, port });
    expect((await p.retry()).reply).toBe('ack');
    expect(sim.messages().map((m) => m.sequence)).toStrictEqual([1, 2]);
  });

  it('processes a duplicate sequence once, DUHs garbage and ignores a bad CRC', async () => {
    const { sim, port } = await centre();
    const tx = new Dc09Transmitter({ host: '127.0.0.1', port, ackTimeoutMs: 200 });
    cleanups.push(() => tx.stop());
    const bytes = buildMessage({ account: '4321', sequence: 12, event: { protocol: 'sia', code: 'PA' }, nowMs: Date.now() }).bytes;
    expect((await tx.send({ bytes, sequence: 12, account: '4321' })).reply).toBe('ack');
    expect((await tx.send({ bytes, sequence: 12, account: '4321' })).reply).toBe('ack');
    expect(sim.messages().length).toBe(1);
    const garbage = Buffer.from('\nnot a frame\r');
    expect((await tx.send({ bytes: garbage, sequence: 0, account: '000' })).reply).toBe('duh');
    const bad = Buffer.from(bytes);
    bad[2] = bad[2] === 0x41 ? 0x42 : 0x41;
    expect((await tx.send({ bytes: bad, sequence: 12, account: '4321' })).reply).toBe('timeout');
    expect(sim.status().rejects).toStrictEqual({ junk: 1, crc: 1 });
  });

  it('validates POST /mode and times out waitForMessage', async () => {
    const { sim, http } = await centre();
    const bad = await fetch(`${http}/mode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"mode":"sleep"}' });
    expect(bad.status).toBe(400);
    const noDelay = await fetch(`${http}/mode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"mode":"delay"}' });
    expect(noDelay.status).toBe(400);
    const ok = await fetch(`${http}/mode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"mode":"delay","delayMs":5}' });
    expect(((await ok.json()) as { mode: string }).mode).toBe('delay');
    await expect(sim.waitForMessage(() => true, 50)).rejects.toThrow(/no matching DC-09 message/);
  });
});

describe('alarm-centre CLI', () => {
  it('prints its usage with --help', async () => {
    const cli = fileURLToPath(new URL('../../../../simulators/alarm-centre/cli.ts', import.meta.url));
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', cli, '--help'], { timeout: 20_000 }, (err, stdout) => {
        if (err && typeof err.code !== 'number') reject(err);
        else resolve({ code: err ? Number(err.code) : 0, stdout });
      });
    });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Usage: npx tsx simulators/alarm-centre/cli.ts');
    expect(out.stdout).toContain('POST /mode');
  });
});
