import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeEvent, decodeHeartbeat, encodeCommand, type RadioCommand, type RadioEvent } from '../../../../adapters/radio/codec.js';
import { RadioGatewaySimulator } from '../../../../simulators/radio-gateway/radio-gateway-simulator.js';
import { RADIO, RADIO_SECRET, RADIO_SITE, startBroker, type BrokerHandle } from '../../adapters/radio/harness.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../../../simulators/radio-gateway/cli.ts', import.meta.url));
const topic = (leaf: string) => `campus/v1/${RADIO_SITE}/${RADIO}/${leaf}`;

/** The gateway's side of the wire: what the radio gateway published, and commands to it. */
async function listen(b: BrokerHandle) {
  const seen: { leaf: string; payload: Buffer }[] = [];
  const waiters = new Set<{ pred: (leaf: string, p: Buffer) => boolean; resolve: (p: Buffer) => void }>();
  const off = await b.broker.bus.subscribe(`campus/v1/${RADIO_SITE}/${RADIO}/+`, (t, payload) => {
    const leaf = t.split('/')[4] ?? '';
    seen.push({ leaf, payload });
    for (const w of [...waiters]) {
      if (w.pred(leaf, payload)) {
        waiters.delete(w);
        w.resolve(payload);
      }
    }
  });
  const next = (pred: (leaf: string, p: Buffer) => boolean, timeoutMs = 5000) => {
    const found = seen.find((s) => pred(s.leaf, s.payload));
    if (found) return Promise.resolve(found.payload);
    return new Promise<Buffer>((resolve, reject) => {
      const w = {
        pred,
        resolve: (p: Buffer) => {
          clearTimeout(t);
          resolve(p);
        },
      };
      const t = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`nothing matching within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(w);
    });
  };
  const event = async (pred: (e: RadioEvent) => boolean): Promise<RadioEvent> => {
    const p = await next((leaf, payload) => {
      if (leaf !== 'event') return false;
      const d = decodeEvent(payload);
      return d.ok && pred(d.value);
    });
    const d = decodeEvent(p);
    if (!d.ok) throw new Error(d.detail);
    return d.value;
  };
  const command = (cmd: RadioCommand) => b.broker.bus.publish(topic('cmd'), encodeCommand(cmd), { qos: 1 });
  return { seen, next, event, command, off };
}

const tx = (id: string, talkgroups: string[], validUntil = Date.now() + 60_000): RadioCommand => ({
  op: 'tx',
  id,
  attempt: 1,
  talkgroups,
  text: '测试广播',
  speech: '测试广播',
  priority: 'normal',
  rollCall: false,
  validUntil,
  at: Date.now(),
});

describe('RadioGatewaySimulator against the real broker', () => {
  let b: BrokerHandle;
  let sim: RadioGatewaySimulator;
  beforeEach(async () => {
    b = await startBroker();
    sim = new RadioGatewaySimulator();
  });
  afterEach(async () => {
    await sim.stop();
    await b.stop();
  });

  const start = (extra: { talkgroups?: string[] } = {}) =>
    sim.start({ url: b.url, deviceId: RADIO, siteId: RADIO_SITE, password: RADIO_SECRET, heartbeatMs: 100, reconnectMs: 0, ...extra });

  it('is refused with a wrong password', async () => {
    await expect(sim.start({ url: b.url, deviceId: RADIO, siteId: RADIO_SITE, password: 'wrong-password', reconnectMs: 0 })).rejects.toThrow(/Bad username or password|Not authorized/u);
  });

  it('says online, heartbeats with its radio link state, and answers a ping with a pong', async () => {
    const w = await listen(b);
    await start();
    expect((await w.next((leaf) => leaf === 'status')).toString()).toBe('online');
    const hb = decodeHeartbeat(await w.next((leaf) => leaf === 'telemetry'));
    expect(hb.ok && hb.value.radio).toBe('up');
    await w.command({ op: 'ping', id: 'p-1', at: Date.now() });
    expect(await w.event((e) => e.type === 'pong')).toMatchObject({ type: 'pong', id: 'p-1' });
    await w.off();
  });

  it('announces once per (id, talkgroup), acks a repeat as dup, fails a talkgroup it does not carry', async () => {
    const w = await listen(b);
    await start({ talkgroups: ['tg-sch-01'] });
    await w.command(tx('bc-1', ['tg-sch-01', 'tg-other']));
    await w.command(tx('bc-1', ['tg-sch-01']));
    await w.event((e) => e.type === 'tx-ack' && e.dup === true);
    const acks = w.seen.filter((s) => s.leaf === 'event').map((s) => decodeEvent(s.payload)).flatMap((d) => (d.ok && d.value.type === 'tx-ack' ? [d.value] : []));
    expect(acks.map(({ at: _at, ...a }) => a)).toStrictEqual([
      { type: 'tx-ack', id: 'bc-1', talkgroup: 'tg-sch-01', status: 'ok' },
      { type: 'tx-ack', id: 'bc-1', talkgroup: 'tg-other', status: 'failed', reason: 'unknown-talkgroup' },
      { type: 'tx-ack', id: 'bc-1', talkgroup: 'tg-sch-01', status: 'ok', dup: true },
    ]);
    expect(sim.transmissions().map((t) => [t.id, t.talkgroup, t.received])).toStrictEqual([['bc-1', 'tg-sch-01', 2]]);
    await w.off();
  });

  it('drops a transmission that arrives after its validUntil instead of announcing a stale incident', async () => {
    const w = await listen(b);
    await start();
    await w.command(tx('bc-old', ['tg-sch-01'], Date.now() - 1));
    await w.command(tx('bc-new', ['tg-sch-01']));
    await w.event((e) => e.type === 'tx-ack' && e.id === 'bc-new');
    expect(sim.history().filter((r) => r.kind === 'expired').map((r) => (r.kind === 'expired' ? r.id : ''))).toStrictEqual(['bc-old']);
    // Acks go out in arrival order after the same delay: none came for the stale one.
    expect(sim.history().filter((r) => r.kind === 'ack').map((r) => (r.kind === 'ack' ? r.id : ''))).toStrictEqual(['bc-new']);
    expect(sim.transmissions().map((t) => t.id)).toStrictEqual(['bc-new']);
    await w.off();
  });

  it('goes silent (commands unanswered) and recovers with an immediate heartbeat', async () => {
    const w = await listen(b);
    await start();
    sim.setMode({ silent: true });
    const from = sim.history().length;
    await w.command({ op: 'ping', id: 'p-silent', at: Date.now() });
    await sim.waitFor((r) => r.kind === 'command' && r.id === 'p-silent', { from });
    sim.setMode({ silent: false });
    await sim.waitFor((r) => r.kind === 'heartbeat', { from });
    expect(sim.history().slice(from).map((r) => r.kind)).toStrictEqual(['command', 'heartbeat']);
    await w.off();
  });

  it('places an emergency call, and the broker publishes its will when the power goes', async () => {
    const w = await listen(b);
    await start();
    const callId = await sim.emergencyCall('tg-sch-01', 'sch-01-hs-1');
    expect(await w.event((e) => e.type === 'emergency-call')).toMatchObject({ type: 'emergency-call', talkgroup: 'tg-sch-01', unit: 'sch-01-hs-1', callId });
    sim.drop();
    expect((await w.next((leaf, p) => leaf === 'status' && p.toString() === 'offline')).toString()).toBe('offline');
    await sim.restore();
    expect(sim.connected).toBe(true);
    await w.off();
  });
});

describe('radio-gateway CLI', () => {
  const run = (args: string[]): ChildProcessWithoutNullStreams => spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, stdio: 'pipe' });

  it('prints its usage with --help', async () => {
    const child = run(['--help']);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(out).toMatch(/^radio-gateway: a simulated radio dispatch gateway/u);
    expect(out).toContain('call <talkgroup> <unit>');
  });

  it('connects, places an emergency call typed on stdin, and quits', async () => {
    const b = await startBroker();
    const w = await listen(b);
    const child = run(['--url', b.url, '--device-id', RADIO, '--site-id', RADIO_SITE, '--password', RADIO_SECRET, '--heartbeat-ms', '1000']);
    try {
      const lines = createInterface({ input: child.stdout });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await new Promise<void>((resolve, reject) => {
        lines.on('line', (l) => l.includes('"kind":"connected"') && resolve());
        child.once('exit', (code) => reject(new Error(`cli exited with ${String(code)} before connecting: ${stderr}`)));
      });
      child.stdin.write('call tg-sch-02 sch-02-hs-1\n');
      expect(await w.event((e) => e.type === 'emergency-call')).toMatchObject({ talkgroup: 'tg-sch-02', unit: 'sch-02-hs-1' });
      const exited = once(child, 'exit');
      child.stdin.write('quit\n');
      expect((await exited)[0]).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill();
      await w.off();
      await b.stop();
    }
  });
});
