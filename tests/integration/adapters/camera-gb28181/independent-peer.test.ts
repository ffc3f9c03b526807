/**
 * The check the issue names, against the whole gateway of the demo district: a GB/T 28181
 * device written here by hand, independently of the simulator and of the adapter's codec (raw
 * SIP text, its own MD5 digest, its own XML), registers as sch-07's NVR with digest
 * authentication, keeps alive, answers the catalog with two channels, and goes silent: its
 * cameras appear under the school in GET /api/devices, then turn offline after the misses.
 */
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../../helpers/gateway.js';

const NVR = '34020000001180000700';
const CH1 = '34020000001310000701'; // configured: sch-07-cam-1
const CH9 = '34020000001310000709'; // not configured: found by the school's prefix
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** A minimal UAC: text in, text out, over one UDP socket. */
class HandUac {
  private readonly sock: Socket = createSocket('udp4');
  private readonly inbox: string[] = [];
  private readonly waiters: ((m: string) => boolean)[] = [];
  port = 0;
  private n = 0;

  constructor(private readonly gw: number) {}

  async open(): Promise<void> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', r));
    this.port = this.sock.address().port;
    this.sock.on('message', (b) => {
      const m = b.toString('utf8');
      const i = this.waiters.findIndex((w) => w(m));
      if (i >= 0) this.waiters.splice(i, 1);
      else this.inbox.push(m);
    });
  }

  close(): Promise<void> {
    return new Promise((r) => this.sock.close(() => r()));
  }

  send(text: string): void {
    this.sock.send(Buffer.from(text, 'utf8'), this.gw, '127.0.0.1');
  }

  /** The next message (already received or to come) that `match` accepts. */
  next(match: (m: string) => boolean, timeoutMs = 5000): Promise<string> {
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as string);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no matching SIP message')), timeoutMs);
      this.waiters.push((m) => {
        if (!match(m)) return false;
        clearTimeout(t);
        resolve(m);
        return true;
      });
    });
  }

  request(method: string, extra: string[], body = '', ruri = `sip:34020000002000000001@3402000000`): string {
    this.n++;
    const lines = [
      `${method} ${ruri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};rport;branch=z9hG4bKhand${this.n}x${Date.now()}`,
      `From: <sip:${NVR}@3402000000>;tag=hand${this.n}`,
      `To: <sip:${method === 'REGISTER' ? NVR : '34020000002000000001'}@3402000000>`,
      `Call-ID: hand-${method}-${this.n}@127.0.0.1`,
      `CSeq: ${this.n} ${method}`,
      'Max-Forwards: 70',
      ...extra,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ];
    this.send(lines.join('\r\n'));
    return `CSeq: ${this.n} ${method}`;
  }

  answer(req: string, status: string): void {
    const keep = req.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
    this.send([`SIP/2.0 ${status}`, ...keep.map((l) => (/^To:/i.test(l) && !/tag=/.test(l) ? `${l};tag=uas1` : l)), 'Content-Length: 0', '', ''].join('\r\n'));
  }
}

const field = (m: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(m)?.[1] ?? '';
const param = (m: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(m)?.[1] ?? '';

describe('an independent GB/T 28181 device against the gateway', () => {
  let t: TestGateway;
  let uac: HandUac;

  beforeAll(async () => {
    t = await startGateway({ adapters: { 'camera-gb28181': { keepalive: { intervalSeconds: 0.3, misses: 2 }, subscribeCatalog: false } } });
    const gb = t.gw.adapters.get('camera-gb28181') as unknown as { port: number };
    uac = new HandUac(gb.port);
    await uac.open();
  });
  afterAll(async () => {
    await uac?.close();
    await t?.close();
  });

  it('registers with digest, keeps alive, answers the catalog: its cameras appear under the school; silent, they go offline', async () => {
    const contact = `Contact: <sip:${NVR}@127.0.0.1:${uac.port}>`;
    const first = uac.request('REGISTER', [contact, 'Expires: 3600']);
    const challenge = await uac.next((m) => m.includes(first));
    expect(challenge.split('\r\n')[0]).toBe('SIP/2.0 401 Unauthorized');
    const realm = param(challenge, 'realm');
    const nonce = param(challenge, 'nonce');
    const uri = 'sip:34020000002000000001@3402000000';
    const ha1 = md5(`${NVR}:${realm}:demo-pass-gb-07`);
    const response = md5(`${ha1}:${nonce}:00000001:c0ffee:auth:${md5(`REGISTER:${uri}`)}`);
    const second = uac.request('REGISTER', [contact, 'Expires: 3600', `Authorization: Digest username="${NVR}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, cnonce="c0ffee", qop=auth, nc=00000001`]);
    const ok = await uac.next((m) => m.includes(second));
    expect(ok.split('\r\n')[0]).toBe('SIP/2.0 200 OK');
    // §9.10.1: the 200 OK carries the time.
    expect(ok).toMatch(/\r\nDate: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\r\n/);

    // The gateway asks for the catalog; answer 200, then the list.
    const query = await uac.next((m) => m.startsWith('MESSAGE ') && m.includes('<CmdType>Catalog</CmdType>'));
    uac.answer(query, '200 OK');
    const item = (id: string, name: string) => `<Item><DeviceID>${id}</DeviceID><Name>${name}</Name><ParentID>${NVR}</ParentID><Status>ON</Status></Item>`;
    const list = `<?xml version="1.0" encoding="UTF-8"?><Response><CmdType>Catalog</CmdType><SN>${field(query, 'SN')}</SN><DeviceID>${NVR}</DeviceID><SumNum>2</SumNum><DeviceList Num="2">${item(CH1, 'Gate')}${item(CH9, 'Back gate')}</DeviceList></Response>`;
    const listed = uac.request('MESSAGE', ['Content-Type: Application/MANSCDP+xml'], list);
    expect((await uac.next((m) => m.includes(listed))).split('\r\n')[0]).toBe('SIP/2.0 200 OK');

    const keepalive = () => uac.request('MESSAGE', ['Content-Type: Application/MANSCDP+xml'], `<?xml version="1.0"?><Notify><CmdType>Keepalive</CmdType><SN>9</SN><DeviceID>${NVR}</DeviceID><Status>OK</Status></Notify>`);
    const beats = setInterval(keepalive, 100);
    type View = { id: string; kind: string; health: { status: string; reasons: { code: string }[] } };
    const school = async () => ((await (await t.api('/api/devices?site=sch-07')).json()) as View[]).filter((d) => d.kind === 'camera' || d.kind === 'nvr').map((d) => [d.id, d.health.status]);
    try {
      await expect.poll(school, { timeout: 10_000 }).toStrictEqual([
        ['sch-07-nvr-1', 'ok'],
        ['sch-07-cam-1', 'ok'],
        ['sch-07-cam-2', 'unknown'],
        ['sch-07-cam-3', 'unknown'],
        ['sch-07-cam-4', 'unknown'],
        [`sch-07-gb-${CH9}`, 'ok'],
      ]);
    } finally {
      clearInterval(beats);
    }
    // Silent now: after 2 × 0.3 s the NVR and the cameras it listed are offline, gb-keepalive-lost.
    await expect.poll(school, { timeout: 10_000 }).toStrictEqual([
      ['sch-07-nvr-1', 'offline'],
      ['sch-07-cam-1', 'offline'],
      ['sch-07-cam-2', 'unknown'],
      ['sch-07-cam-3', 'unknown'],
      ['sch-07-cam-4', 'unknown'],
      [`sch-07-gb-${CH9}`, 'offline'],
    ]);
    expect(t.gw.health.get('sch-07-cam-1')?.reasons.map((r) => r.code)).toStrictEqual(['gb-keepalive-lost']);
  }, 30_000);

  it('answers an unknown id exactly as a wrong password: 401, then 403', async () => {
    const statuses: string[] = [];
    for (const [id, password] of [
      ['34020000001180000799', 'demo-pass-gb-07'],
      [NVR, 'not-the-password'],
    ] as const) {
      const raw = (text: string) => text.replace(new RegExp(NVR, 'g'), id);
      const contact = `Contact: <sip:${id}@127.0.0.1:${uac.port}>`;
      uac.send(raw(`REGISTER sip:34020000002000000001@3402000000 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bKu${id}1\r\nFrom: <sip:${NVR}@3402000000>;tag=u1\r\nTo: <sip:${NVR}@3402000000>\r\nCall-ID: u-${id}\r\nCSeq: 1 REGISTER\r\n${contact}\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n`));
      const c = await uac.next((m) => m.includes(`Call-ID: u-${id}`) && m.includes('CSeq: 1 REGISTER'));
      const nonce = param(c, 'nonce');
      const uri = 'sip:34020000002000000001@3402000000';
      const response = md5(`${md5(`${id}:3402000000:${password}`)}:${nonce}:${md5(`REGISTER:${uri}`)}`);
      uac.send(raw(`REGISTER ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bKu${id}2\r\nFrom: <sip:${NVR}@3402000000>;tag=u1\r\nTo: <sip:${NVR}@3402000000>\r\nCall-ID: u-${id}\r\nCSeq: 2 REGISTER\r\n${contact}\r\nAuthorization: Digest username="${NVR}", realm="3402000000", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n`));
      const r = await uac.next((m) => m.includes(`Call-ID: u-${id}`) && m.includes('CSeq: 2 REGISTER'));
      statuses.push(`${c.split('\r\n')[0]} | ${r.split('\r\n')[0]} | ${r.split('\r\n').filter((l) => !/^(Via|From|To|Call-ID|CSeq):/.test(l)).slice(1).join(';')}`);
    }
    expect(statuses).toStrictEqual([
      'SIP/2.0 401 Unauthorized | SIP/2.0 403 Forbidden | User-Agent: campus-gateway;Content-Length: 0;;',
      'SIP/2.0 401 Unauthorized | SIP/2.0 403 Forbidden | User-Agent: campus-gateway;Content-Length: 0;;',
    ]);
    expect(t.gw.counters.snapshot()['rejects.gb-auth-failed']).toBe(2);
  });
});
