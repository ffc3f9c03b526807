/**
 * The simulated SMSC, driven by a plain `smpp` client (not the adapter) over loopback.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import smpp from 'smpp';
import { afterEach, describe, expect, it } from 'vitest';
import { SmsCentreSimulator } from '../../../../simulators/sms-centre/sms-centre-simulator.js';

let sim: SmsCentreSimulator | undefined;
const clients: smpp.Session[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await sim?.stop();
  sim = undefined;
});

async function client(port: number): Promise<smpp.Session> {
  const s = smpp.connect({ host: '127.0.0.1', port });
  s.on('error', () => undefined);
  clients.push(s);
  await new Promise<void>((resolve) => s.once('connect', resolve));
  return s;
}

function request(s: smpp.Session, command: string, params: Record<string, unknown> = {}): Promise<smpp.PDU> {
  return new Promise((resolve) => s.send(new smpp.PDU(command, params), resolve));
}

function nextPdu(s: smpp.Session, command: string): Promise<smpp.PDU> {
  return new Promise((resolve) => s.once(command, resolve));
}

async function bound(port: number): Promise<smpp.Session> {
  const s = await client(port);
  const resp = await request(s, 'bind_transceiver', { system_id: 'gw', password: 'pw', interface_version: 0x34 });
  expect(resp.command_status).toBe(0);
  s.on('deliver_sm', (pdu: smpp.PDU) => s.send(pdu.response()));
  return s;
}

describe('SmsCentreSimulator', () => {
  it('refuses wrong credentials with ESME_RBINDFAIL and closes, accepts the right ones', async () => {
    sim = new SmsCentreSimulator();
    const { port } = await sim.start({ systemId: 'gw', password: 'pw' });
    const bad = await client(port);
    const closed = new Promise<void>((resolve) => bad.once('close', resolve));
    const refused = await request(bad, 'bind_transceiver', { system_id: 'gw', password: 'nope' });
    expect(refused.command_status).toBe(0x0d);
    await closed;
    await bound(port);
    expect(sim.records().filter((r) => r.type === 'bind').map((r) => r.type === 'bind' && r.status)).toStrictEqual([0x0d, 0]);
    expect(sim.boundSessions()).toBe(1);
  });

  it('answers submit_sm with a message id and sends an Appendix B receipt with TLVs after the delay', async () => {
    sim = new SmsCentreSimulator();
    const { port } = await sim.start({ systemId: 'gw', password: 'pw', receiptDelayMs: 30 });
    const s = await bound(port);
    const receiptPdu = nextPdu(s, 'deliver_sm');
    const resp = await request(s, 'submit_sm', { source_addr: '10690110', destination_addr: '13805710101', registered_delivery: 1, data_coding: 0, short_message: Buffer.from('Gate 3') });
    expect([resp.command_status, resp.message_id]).toStrictEqual([0, '0005a000']);
    const r = await receiptPdu;
    expect({
      esm: r.esm_class,
      from: r.source_addr,
      to: r.destination_addr,
      id: r.receipted_message_id,
      state: r.message_state,
      text: (r.short_message as { message: string }).message.replace(/date:\d{10}/g, 'date:D'),
    }).toStrictEqual({
      esm: 0x04,
      from: '13805710101',
      to: '10690110',
      id: '0005a000',
      state: 2,
      text: 'id:0005a000 sub:001 dlvrd:001 submit date:D done date:D stat:DELIVRD err:000 text:Gate 3',
    });
  });

  it('reassembles concatenated parts into one logical message', async () => {
    sim = new SmsCentreSimulator();
    const { port } = await sim.start({ systemId: 'gw', password: 'pw' });
    const s = await bound(port);
    const part = (i: number, t: string) =>
      request(s, 'submit_sm', { destination_addr: '1', esm_class: 0x40, data_coding: 8, short_message: Buffer.concat([Buffer.from([5, 0, 3, 9, 2, i]), Buffer.from(t, 'utf16le').swap16()]) });
    await part(2, '第二段');
    expect(sim.messages()).toStrictEqual([]);
    await part(1, '第一段，');
    expect(sim.messages().map((m) => [m.text, m.parts, m.dataCoding, m.messageIds.length])).toStrictEqual([['第一段，第二段', 2, 8, 2]]);
  });

  it('throttles the next N submits, fails numbers with UNDELIV, and records it all', async () => {
    sim = new SmsCentreSimulator();
    const { port } = await sim.start({ systemId: 'gw', password: 'pw', receiptDelayMs: 0 });
    const s = await bound(port);
    sim.setMode({ throttleNext: 1, failNumbers: ['2'] });
    const statuses: number[] = [];
    for (const to of ['1', '2']) statuses.push((await request(s, 'submit_sm', { destination_addr: to, registered_delivery: 1, short_message: 'x' })).command_status);
    expect(statuses).toStrictEqual([0x58, 0]);
    const receipt = await sim.waitFor((r) => r.type === 'receipt');
    expect(receipt.type === 'receipt' && [receipt.to, receipt.stat]).toStrictEqual(['2', 'UNDELIV']);
    await expect(sim.waitFor((r) => r.type === 'reply', 50)).rejects.toThrow(/no matching record within 50 ms/);
  });

  it('delivers a phone reply as MO deliver_sm, concatenated when long', async () => {
    sim = new SmsCentreSimulator();
    const { port } = await sim.start({ systemId: 'gw', password: 'pw', serviceNumber: '10690110' });
    const s = await client(port);
    await request(s, 'bind_transceiver', { system_id: 'gw', password: 'pw' });
    const got: smpp.PDU[] = [];
    const two = new Promise<void>((resolve) =>
      s.on('deliver_sm', (pdu: smpp.PDU) => {
        s.send(pdu.response());
        got.push(pdu);
        if (got.length === 2) resolve();
      }),
    );
    const text = '收到'.repeat(40);
    sim.reply('13805710101', text);
    await two;
    const parts = got.map((p) => p.short_message as { udh?: Buffer[]; message: string });
    expect(got.map((p) => [p.source_addr, p.destination_addr, p.esm_class, p.data_coding])).toStrictEqual([
      ['13805710101', '10690110', 0x40, 8],
      ['13805710101', '10690110', 0x40, 8],
    ]);
    expect(parts.map((p) => p.message).join('')).toBe(text);
    expect(parts.map((p) => p.udh?.[0]?.subarray(3).toString('hex'))).toStrictEqual(['0201', '0202']);
  });

  it('goes down (listener and connections closed), keeps pending receipts, and comes back on the same port', async () => {
    sim = new SmsCentreSimulator();
    const { port } = await sim.start({ systemId: 'gw', password: 'pw', receiptDelayMs: 100 });
    const s = await bound(port);
    const closed = new Promise<void>((resolve) => s.once('close', resolve));
    await request(s, 'submit_sm', { destination_addr: '1', registered_delivery: 1, short_message: 'x' });
    await sim.goDown();
    await closed;
    const probe = smpp.connect({ host: '127.0.0.1', port });
    clients.push(probe);
    const outcome = await new Promise<string>((resolve) => {
      probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      probe.once('connect', () => resolve('connected'));
    });
    expect(outcome).toBe('ECONNREFUSED');
    await sim.comeUp();
    const again = await client(port);
    const receipt = nextPdu(again, 'deliver_sm');
    await request(again, 'bind_transceiver', { system_id: 'gw', password: 'pw' });
    expect((await receipt).esm_class).toBe(0x04);
    expect(sim.records().filter((r) => r.type === 'down' || r.type === 'up').map((r) => r.type)).toStrictEqual(['up', 'down', 'up']);
  });

  it('prints its usage with --help', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'simulators/sms-centre/cli.ts', '--help'], { timeout: 20_000 });
    expect(stdout).toMatch(/^sms-centre: a simulated SMSC/);
    expect(stdout).toMatch(/reply <from> <text…>/);
  });
});
