/**
 * A simulated China Mobile ISMG (the far end of CMPP 2.0 / 3.0) for tests and demos: checks
 * CMPP_CONNECT's MD5 authenticator (a wrong secret gets Status 3), negotiates the version,
 * answers CMPP_SUBMIT with Msg_Ids made as the spec lays them out, sends status reports by
 * CMPP_DELIVER after a delay, reassembles long messages, lets a simulated phone reply, sends
 * and answers CMPP_ACTIVE_TEST, and misbehaves on command (flow control, failing numbers,
 * refuse-all, silence, held reports, an impostor's authenticator). Everything it sees and does
 * is recorded. The wire format is the adapter's own codec (adapters/sms-cmpp/cmpp-codec.ts),
 * whose byte-exact fixtures come from the specifications.
 */
import { createServer, type Server, type Socket } from 'node:net';
import pino, { type Logger } from 'pino';
import { systemClock, type Clock, type Timer } from '../../gateway/contract/clock.js';
import { authenticatorIsmg, authenticatorSource, msgIdKey, packMsgId, timestampText } from '../../adapters/sms-cmpp/cmpp-auth.js';
import { decodePdu, encodePdu, encodeStatusReport } from '../../adapters/sms-cmpp/cmpp-codec.js';
import { COMMAND, CONNECT_STATUS, RESULT, VERSION_BYTE, WIDTHS, versionOfByte, type CmppVersion } from '../../adapters/sms-cmpp/cmpp-constants.js';
import { FrameDecoder } from '../../adapters/sms-cmpp/cmpp-framer.js';
import type { CmppPdu, ConnectPdu, DeliverPdu, StatusReport, SubmitPdu } from '../../adapters/sms-cmpp/cmpp-pdu.js';
import { concatUdh, decodeMo, ucs2, UCS2_LIMITS } from '../../adapters/sms-cmpp/cmpp-text.js';
import { DEFAULT_ISMG_MODE, type IsmgMessage, type IsmgMode, type IsmgRecord, type IsmgStartOptions, type IsmgSubmitRecord } from './ismg-types.js';
import { listenForOutages } from '../outage-port.js';

export type { IsmgMessage, IsmgMode, IsmgRecord, IsmgStartOptions, IsmgSubmitRecord } from './ismg-types.js';

interface Session {
  socket: Socket;
  spId: string;
  version: CmppVersion;
  connected: boolean;
  nextSeq: number;
  /** SUBMITs received and not answered yet. */
  outstanding: number;
  /** Our DELIVERs awaiting DELIVER_RESP, and our ACTIVE_TESTs awaiting their answer. */
  inflight: Map<number, Outgoing>;
  probes: Map<number, () => void>;
  activeTimer?: Timer;
}

interface Outgoing {
  fields: Omit<DeliverPdu, 'command' | 'sequenceId' | 'layout'>;
  /** A status report: its Msg_Content is laid out per session when sent (60 octets in 2.0, 71 in 3.0). */
  report?: StatusReport;
  record: Extract<IsmgRecord, { type: 'report' | 'reply' }>;
  attempts: number;
}

const tzParts = new Map<string, Intl.DateTimeFormat>();

function clockParts(ms: number, timeZone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number> {
  let f = tzParts.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' });
    tzParts.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
  return { year: p.year ?? 0, month: p.month ?? 0, day: p.day ?? 0, hour: p.hour ?? 0, minute: p.minute ?? 0, second: p.second ?? 0 };
}

const two = (n: number) => String(n % 100).padStart(2, '0');

export class CmppIsmgSimulator {
  private server: Server | undefined;
  private host = '127.0.0.1';
  private port = 0;
  private spId = '901234';
  private secret = 'secret';
  private maxVersion: CmppVersion = '3.0';
  private serviceNumber = '1065710001';
  private ismgCode = 571001;
  private activeTestMs = 0;
  private timeZone = 'Asia/Shanghai';
  private current: IsmgMode = { ...DEFAULT_ISMG_MODE };
  private readonly recs: IsmgRecord[] = [];
  private readonly sessions = new Set<Session>();
  private readonly timers = new Set<Timer>();
  private readonly waiters = new Set<{ pred: (r: IsmgRecord) => boolean; resolve: (r: IsmgRecord) => void }>();
  private readonly listeners = new Set<(r: IsmgRecord) => void>();
  private readonly concat = new Map<string, Map<number, IsmgSubmitRecord>>();
  private outbox: Outgoing[] = [];
  private held: Outgoing[] = [];
  private accepted: number[] = [];
  private msgSeq = 0;
  private peak = 0;

  constructor(private readonly opts: { log?: Logger; clock?: Clock } = {}) {}

  private get log(): Logger {
    return this.opts.log ?? pino({ level: 'silent' });
  }
  private get clock(): Clock {
    return this.opts.clock ?? systemClock;
  }

  async start(o: IsmgStartOptions = {}): Promise<{ host: string; port: number }> {
    this.host = o.host ?? this.host;
    this.port = o.port ?? 0;
    this.spId = o.spId ?? this.spId;
    this.secret = o.sharedSecret ?? this.secret;
    this.maxVersion = o.maxVersion ?? this.maxVersion;
    this.serviceNumber = o.serviceNumber ?? this.serviceNumber;
    this.ismgCode = o.ismgCode ?? this.ismgCode;
    this.activeTestMs = o.activeTestMs ?? 0;
    this.timeZone = o.timeZone ?? this.timeZone;
    if (o.reportDelayMs !== undefined) this.current.reportDelayMs = o.reportDelayMs;
    // Port 0: one outside the system's ephemeral range, so that comeUp() after an outage finds
    // it free (outage-port.ts).
    await listenForOutages(this.host, this.port, (p) => {
      this.port = p;
      return this.listen();
    });
    return { host: this.host, port: this.port };
  }

  async stop(): Promise<void> {
    await this.goDown(false);
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    this.waiters.clear();
    this.listeners.clear();
    this.outbox = [];
    this.held = [];
  }

  /** Closes the listener and every connection (an ISMG outage). Pending reports are kept. */
  async goDown(record = true): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of [...this.sessions]) s.socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (record && server) this.record({ type: 'down', at: this.clock.now() });
  }

  /** Listens again on the same port after goDown(). */
  async comeUp(): Promise<void> {
    if (!this.server) await this.listen();
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  mode(): IsmgMode {
    return structuredClone(this.current);
  }

  setMode(patch: Partial<IsmgMode>): void {
    this.current = { ...this.current, ...structuredClone(patch) };
  }

  records(): IsmgRecord[] {
    return [...this.recs];
  }
  submits(): IsmgSubmitRecord[] {
    return this.recs.filter((r): r is IsmgSubmitRecord => r.type === 'submit');
  }
  /** Logical messages: long messages reassembled, only what was accepted. */
  messages(): IsmgMessage[] {
    return this.recs.filter((r): r is IsmgMessage => r.type === 'message');
  }
  connectedSessions(): number {
    return [...this.sessions].filter((s) => s.connected).length;
  }
  /** Most SUBMITs one session had outstanding (received, not answered) at once. */
  peakOutstanding(): number {
    return this.peak;
  }

  onRecord(fn: (r: IsmgRecord) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** Resolves with the first record (past or future) matching `pred`. */
  waitFor(pred: (r: IsmgRecord) => boolean, timeoutMs = 5000): Promise<IsmgRecord> {
    const found = this.recs.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (r: IsmgRecord) => {
          this.clock.clearTimeout(t);
          this.timers.delete(t);
          resolve(r);
        },
      };
      const t = this.clock.setTimeout(() => {
        this.waiters.delete(w);
        this.timers.delete(t);
        reject(new Error(`sms-cmpp ISMG: no matching record within ${timeoutMs} ms (last: ${this.recs.slice(-5).map((r) => r.type).join(', ')})`));
      }, timeoutMs);
      this.timers.add(t);
      this.waiters.add(w);
    });
  }

  /** A phone sends `text` to the service number: CMPP_DELIVER (Registered_Delivery 0), UCS-2, long ones with a UDH. */
  reply(from: string, text: string): void {
    const record = { type: 'reply' as const, at: this.clock.now(), from, text, parts: 1 };
    const chunks: string[] = [];
    let cur = '';
    for (const ch of text) {
      if (cur.length + ch.length > (text.length > UCS2_LIMITS.single ? UCS2_LIMITS.part : UCS2_LIMITS.single)) {
        chunks.push(cur);
        cur = '';
      }
      cur += ch;
    }
    chunks.push(cur);
    record.parts = chunks.length;
    this.record(record);
    const ref = Math.floor(Math.random() * 256);
    chunks.forEach((c, i) => {
      const long = chunks.length > 1;
      this.deliver({ record, attempts: 0, fields: this.deliverFields(from, this.serviceNumber, 0, long ? 1 : 0, 8, long ? Buffer.concat([concatUdh(ref, chunks.length, i + 1), ucs2(c)]) : ucs2(c)) });
    });
  }

  /** Sends a status report for any Msg_Id (16 hex digits), known or not. */
  sendReport(msgId: string, to: string, stat = 'DELIVRD'): void {
    this.deliver(this.report(BigInt(`0x${msgId}`), to, '', stat, this.clock.now()));
  }

  /** Sends the reports held while `holdReports` was on (and turns it off). */
  releaseReports(): number {
    this.current.holdReports = false;
    const held = this.held;
    this.held = [];
    for (const out of held) this.deliver(out);
    return held.length;
  }

  /** The ISMG checks every connected session (CMPP_ACTIVE_TEST); resolves with how many answered in time. */
  async activeTest(timeoutMs = 2000): Promise<number> {
    const results = await Promise.all([...this.sessions].filter((s) => s.connected).map((s) => this.probe(s, timeoutMs)));
    return results.filter(Boolean).length;
  }

  /** The ISMG ends every session with CMPP_TERMINATE (and closes after the answer, or 1 s). */
  async terminate(): Promise<void> {
    await Promise.all(
      [...this.sessions].map(
        (s) =>
          new Promise<void>((resolve) => {
            this.record({ type: 'terminate', at: this.clock.now(), from: 'ismg' });
            const seq = s.nextSeq++;
            const t = this.clock.setTimeout(() => finish(), 1000);
            const finish = () => {
              this.clock.clearTimeout(t);
              s.probes.delete(seq);
              s.socket.end();
              resolve();
            };
            s.probes.set(seq, finish);
            this.send(s, { command: 'terminate', sequenceId: seq });
          }),
      ),
    );
  }

  private record(r: IsmgRecord): void {
    this.recs.push(r);
    for (const fn of this.listeners) fn(r);
    for (const w of [...this.waiters]) {
      if (w.pred(r)) {
        this.waiters.delete(w);
        w.resolve(r);
      }
    }
  }

  private later(ms: number, fn: () => void): void {
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async listen(): Promise<void> {
    const server = createServer({ noDelay: true }, (socket) => this.onSocket(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
    this.server = server;
    this.record({ type: 'up', at: this.clock.now(), port: this.port });
  }

  private send(s: Session, pdu: CmppPdu): void {
    if (!s.socket.destroyed) s.socket.write(encodePdu(pdu, s.version));
  }

  private onSocket(socket: Socket): void {
    const s: Session = { socket, spId: '', version: this.maxVersion, connected: false, nextSeq: 1, outstanding: 0, inflight: new Map(), probes: new Map() };
    this.sessions.add(s);
    const decoder = new FrameDecoder();
    socket.on('error', (err: Error) => this.log.debug({ err }, 'ISMG session error'));
    socket.on('close', () => {
      this.sessions.delete(s);
      if (s.activeTimer !== undefined) this.clock.clearInterval(s.activeTimer);
      // DELIVERs never answered: an ISMG keeps them for the next connection.
      this.outbox.push(...s.inflight.values());
      s.inflight.clear();
    });
    socket.on('data', (chunk: Buffer) => {
      const out = decoder.push(chunk);
      for (const frame of out.frames) this.onFrame(s, frame);
      if (out.error !== undefined) {
        this.record({ type: 'malformed', at: this.clock.now(), detail: out.error });
        socket.destroy();
      }
    });
  }

  private onFrame(s: Session, frame: Buffer): void {
    const decoded = decodePdu(frame, s.version);
    if (!decoded.ok) {
      this.record({ type: 'malformed', at: this.clock.now(), detail: decoded.detail });
      if (decoded.commandId === COMMAND.SUBMIT && decoded.sequenceId !== undefined) {
        this.send(s, { command: 'submit_resp', sequenceId: decoded.sequenceId, msgId: 0n, result: RESULT.STRUCTURE, resultWidth: WIDTHS[s.version].result });
      }
      return;
    }
    const pdu = decoded.pdu;
    if (!s.connected) {
      if (pdu.command === 'connect') this.onConnect(s, pdu);
      else s.socket.destroy();
      return;
    }
    switch (pdu.command) {
      case 'submit':
        this.onSubmit(s, pdu);
        return;
      case 'deliver_resp': {
        const out = s.inflight.get(pdu.sequenceId);
        if (!out) return;
        s.inflight.delete(pdu.sequenceId);
        out.record.result = pdu.result;
        this.record({ type: 'deliver-resp', at: this.clock.now(), of: out.record.type, result: pdu.result, attempt: out.attempts });
        // Not taken (Result ≠ 0, e.g. 8 flow control): deliver it again a little later.
        if (pdu.result !== RESULT.OK && out.attempts < 5) this.later(this.current.redeliverDelayMs, () => this.deliver(out));
        return;
      }
      case 'active_test':
        this.record({ type: 'active-test', at: this.clock.now(), from: 'sp', answered: this.current.answerActiveTest });
        if (this.current.answerActiveTest) this.send(s, { command: 'active_test_resp', sequenceId: pdu.sequenceId, reserved: 0 });
        return;
      case 'active_test_resp':
      case 'terminate_resp':
        s.probes.get(pdu.sequenceId)?.();
        return;
      case 'terminate':
        this.record({ type: 'terminate', at: this.clock.now(), from: 'sp' });
        s.connected = false;
        this.send(s, { command: 'terminate_resp', sequenceId: pdu.sequenceId });
        s.socket.end();
        return;
      default:
        this.record({ type: 'malformed', at: this.clock.now(), detail: `unexpected ${pdu.command} from the SP` });
    }
  }

  private onConnect(s: Session, pdu: ConnectPdu): void {
    const requested = versionOfByte(pdu.version);
    const expected = authenticatorSource(this.spId, this.secret, timestampText(pdu.timestamp));
    let status: number = CONNECT_STATUS.OK;
    if (this.current.refuseAll) status = CONNECT_STATUS.OTHER;
    else if (requested === undefined) status = CONNECT_STATUS.STRUCTURE;
    else if (pdu.sourceAddr !== this.spId) status = CONNECT_STATUS.ILLEGAL_SOURCE;
    else if (!expected.equals(pdu.authenticatorSource)) status = CONNECT_STATUS.AUTH;
    else if (requested === '3.0' && this.maxVersion === '2.0') status = CONNECT_STATUS.VERSION_TOO_HIGH;
    // Answer in the layout of the version it will speak: a 2.0 ISMG answers in 2.0 whatever was asked.
    const layout: CmppVersion = requested === '3.0' && this.maxVersion === '3.0' ? '3.0' : '2.0';
    s.version = layout;
    const width = WIDTHS[layout].result;
    // §8.4.1.2: "empty when authentication failed".
    let auth = status === CONNECT_STATUS.OK ? authenticatorIsmg(status, width, pdu.authenticatorSource, this.secret) : Buffer.alloc(16);
    if (status === CONNECT_STATUS.OK && this.current.badAuthenticator) auth = authenticatorIsmg(status, width, pdu.authenticatorSource, `${this.secret}-not`);
    this.record({ type: 'connect', at: this.clock.now(), spId: pdu.sourceAddr, version: pdu.version, status, ...(status === CONNECT_STATUS.OK ? { negotiated: layout } : {}) });
    this.send(s, { command: 'connect_resp', sequenceId: pdu.sequenceId, status, authenticatorIsmg: auth, version: VERSION_BYTE[this.maxVersion], statusWidth: width });
    if (status !== CONNECT_STATUS.OK) {
      s.socket.end();
      return;
    }
    s.spId = pdu.sourceAddr;
    s.connected = true;
    if (this.activeTestMs > 0) s.activeTimer = this.clock.setInterval(() => void this.probe(s, this.activeTestMs), this.activeTestMs);
    this.flush();
  }

  private probe(s: Session, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const seq = s.nextSeq++;
      const t = this.clock.setTimeout(() => done(false), timeoutMs);
      const done = (answered: boolean) => {
        this.clock.clearTimeout(t);
        s.probes.delete(seq);
        this.record({ type: 'active-test', at: this.clock.now(), from: 'ismg', answered });
        resolve(answered);
      };
      s.probes.set(seq, () => done(true));
      this.send(s, { command: 'active_test', sequenceId: seq });
    });
  }

  private submitResult(to: string): number {
    const m = this.current;
    if (m.throttleNext > 0) {
      m.throttleNext--;
      return RESULT.FLOW_CONTROL;
    }
    const reject = m.rejectNumbers[to];
    if (reject !== undefined) return reject;
    if (m.throttleRate > 0) {
      const now = this.clock.now();
      this.accepted = this.accepted.filter((t) => t > now - 1000);
      if (this.accepted.length >= m.throttleRate) return RESULT.FLOW_CONTROL;
      this.accepted.push(now);
    }
    return RESULT.OK;
  }

  private nextMsgId(now: number): bigint {
    const c = clockParts(now, this.timeZone);
    this.msgSeq = (this.msgSeq + 1) & 0xffff;
    return packMsgId({ month: c.month, day: c.day, hour: c.hour, minute: c.minute, second: c.second, ismg: this.ismgCode, sequence: this.msgSeq });
  }

  private onSubmit(s: Session, pdu: SubmitPdu): void {
    const to = pdu.destTerminalIds[0] ?? '';
    const mo = decodeMo(pdu.msgContent, pdu.msgFmt, pdu.tpUdhi);
    const rec: IsmgSubmitRecord = {
      type: 'submit',
      at: this.clock.now(),
      spId: s.spId,
      version: s.version,
      from: pdu.srcId,
      to,
      destTerminalIds: pdu.destTerminalIds,
      msgFmt: pdu.msgFmt,
      tpUdhi: pdu.tpUdhi,
      pkTotal: pdu.pkTotal,
      pkNumber: pdu.pkNumber,
      registeredDelivery: pdu.registeredDelivery,
      serviceId: pdu.serviceId,
      msgSrc: pdu.msgSrc,
      text: mo.text,
      result: RESULT.OK,
      ...(mo.concat ? { concat: mo.concat, udh: pdu.msgContent.subarray(0, 1 + (pdu.msgContent[0] ?? 0)).toString('hex') } : {}),
    };
    s.outstanding++;
    this.peak = Math.max(this.peak, s.outstanding);
    if (this.current.dropSubmitResp > 0) {
      this.current.dropSubmitResp--;
      rec.result = -1;
      this.record(rec);
      return;
    }
    const answer = () => {
      s.outstanding--;
      rec.result = this.submitResult(to);
      const msgId = rec.result === RESULT.OK ? this.nextMsgId(this.clock.now()) : 0n;
      if (rec.result === RESULT.OK) rec.msgId = msgIdKey(msgId);
      this.record(rec);
      this.send(s, { command: 'submit_resp', sequenceId: pdu.sequenceId, msgId, result: rec.result, resultWidth: WIDTHS[s.version].result });
      if (rec.result !== RESULT.OK) return;
      this.assemble(rec);
      if (pdu.registeredDelivery === 1) this.scheduleReport(msgId, rec);
    };
    if (this.current.submitRespDelayMs > 0) this.later(this.current.submitRespDelayMs, answer);
    else answer();
  }

  private assemble(rec: IsmgSubmitRecord): void {
    const logical = (parts: IsmgSubmitRecord[]): IsmgMessage => ({
      type: 'message',
      at: this.clock.now(),
      from: rec.from,
      to: rec.to,
      text: parts.map((p) => p.text).join(''),
      parts: parts.length,
      msgFmt: rec.msgFmt,
      msgIds: parts.map((p) => p.msgId ?? ''),
    });
    const c = rec.concat;
    if (!c || c.total <= 1) {
      this.record(logical([rec]));
      return;
    }
    const key = `${rec.spId}|${rec.from}|${rec.to}|${c.ref}|${c.total}`;
    const parts = this.concat.get(key) ?? new Map<number, IsmgSubmitRecord>();
    parts.set(c.index, rec);
    this.concat.set(key, parts);
    if (parts.size < c.total) return;
    this.concat.delete(key);
    this.record(logical([...parts.entries()].sort(([a], [b]) => a - b).map(([, p]) => p)));
  }

  private scheduleReport(msgId: bigint, rec: IsmgSubmitRecord): void {
    const m = this.current;
    const out = this.report(msgId, rec.to, rec.from, m.failNumbers.includes(rec.to) ? m.failStat : 'DELIVRD', rec.at);
    if (m.holdReports) this.held.push(out);
    else this.later(m.reportDelayMs, () => this.deliver(out));
  }

  private yymmddhhmm(ms: number): string {
    const c = clockParts(ms, this.timeZone);
    return `${two(c.year)}${two(c.month)}${two(c.day)}${two(c.hour)}${two(c.minute)}`;
  }

  private deliverFields(src: string, dest: string, registeredDelivery: number, tpUdhi: number, msgFmt: number, msgContent: Buffer): Outgoing['fields'] {
    return { msgId: this.nextMsgId(this.clock.now()), destId: dest, serviceId: '', tpPid: 0, tpUdhi, msgFmt, srcTerminalId: src, srcTerminalType: 0, registeredDelivery, msgContent, linkId: '' };
  }

  /** §7.4.5.1 / §8.4.5.1: Src_terminal_Id is the SUBMIT's destination in a report; Msg_Content the report. */
  private report(msgId: bigint, to: string, srcId: string, stat: string, submittedAt: number): Outgoing {
    const now = this.clock.now();
    const record = { type: 'report' as const, at: now, to, msgId: msgIdKey(msgId), stat };
    const report: StatusReport = { msgId, stat, submitTime: this.yymmddhhmm(submittedAt), doneTime: this.yymmddhhmm(now), destTerminalId: to, smscSequence: this.msgSeq };
    return { record, attempts: 0, report, fields: this.deliverFields(to, srcId || this.serviceNumber, 1, 0, 0, Buffer.alloc(0)) };
  }

  private target(): Session | undefined {
    return [...this.sessions].find((s) => s.connected);
  }

  private deliver(out: Outgoing): void {
    const s = this.target();
    if (!s) {
      this.outbox.push(out);
      return;
    }
    out.attempts++;
    if (out.attempts === 1 && out.record.type === 'report') this.record(out.record);
    const msgContent = out.report ? encodeStatusReport(out.report, s.version) : out.fields.msgContent;
    const seq = s.nextSeq++;
    s.inflight.set(seq, out);
    this.send(s, { command: 'deliver', sequenceId: seq, ...out.fields, msgContent, layout: s.version });
  }

  private flush(): void {
    const pending = this.outbox;
    this.outbox = [];
    for (const out of pending) this.deliver(out);
  }
}
