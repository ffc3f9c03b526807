/**
 * A simulated SMSC (SMPP 3.4 server, `smpp` package) for tests and demos: accepts binds,
 * answers submit_sm with message ids, sends Appendix B delivery receipts after a delay,
 * reassembles concatenated messages, lets a simulated phone reply, and misbehaves on
 * command (refuse binds, refuse every submit, throttle, fail numbers, fake instant receipts, go down).
 * Everything it sees and does is recorded.
 */
import smpp from 'smpp';
import pino, { type Logger } from 'pino';
import { systemClock, type Clock, type Timer } from '../../gateway/contract/clock.js';
import { listenForOutages } from '../outage-port.js';
import { concatOf, receiptText, splitMo, STAT_STATE, textOf, udhHex } from './smsc-text.js';
import {
  DEFAULT_MODE,
  type LogicalMessage,
  type SmsCentreMode,
  type SmsCentreRecord,
  type SmsCentreStartOptions,
  type SubmitRecord,
} from './sms-centre-types.js';

export type { LogicalMessage, SmsCentreMode, SmsCentreRecord, SmsCentreStartOptions, SubmitRecord } from './sms-centre-types.js';

const S = { OK: 0x00, RINVBNDSTS: 0x04, RALYBND: 0x05, RBINDFAIL: 0x0d, RTHROTTLED: 0x58 } as const;

interface Peer {
  session: smpp.Session;
  systemId: string;
  bound: false | 'transceiver' | 'transmitter' | 'receiver';
  inflight: Map<number, Outgoing>;
}

interface Outgoing {
  params: Record<string, unknown>;
  record: Extract<SmsCentreRecord, { type: 'receipt' | 'reply' }>;
  attempts: number;
}

export class SmsCentreSimulator {
  private server: smpp.Server | undefined;
  private host = '127.0.0.1';
  private port = 0;
  private systemId = 'gateway';
  private password = 'secret';
  private serviceNumber = '10690110';
  private current: SmsCentreMode = { ...DEFAULT_MODE };
  private readonly recs: SmsCentreRecord[] = [];
  private readonly peers = new Set<Peer>();
  private readonly timers = new Set<Timer>();
  private readonly waiters = new Set<{ pred: (r: SmsCentreRecord) => boolean; resolve: (r: SmsCentreRecord) => void }>();
  private readonly listeners = new Set<(r: SmsCentreRecord) => void>();
  private readonly concat = new Map<string, Map<number, SubmitRecord>>();
  private outbox: Outgoing[] = [];
  private accepted: number[] = [];
  private nextId = 0x5a000;

  constructor(private readonly opts: { log?: Logger; clock?: Clock } = {}) {}

  private get log(): Logger {
    return this.opts.log ?? pino({ level: 'silent' });
  }
  private get clock(): Clock {
    return this.opts.clock ?? systemClock;
  }

  async start(o: SmsCentreStartOptions = {}): Promise<{ host: string; port: number }> {
    this.host = o.host ?? this.host;
    this.port = o.port ?? 0;
    this.systemId = o.systemId ?? this.systemId;
    this.password = o.password ?? this.password;
    this.serviceNumber = o.serviceNumber ?? this.serviceNumber;
    if (o.receiptDelayMs !== undefined) this.current.receiptDelayMs = o.receiptDelayMs;
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
  }

  /** Closes the listener and every connection (an SMSC outage). Pending receipts are kept. */
  async goDown(record = true): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const p of [...this.peers]) p.session.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (record && server) this.record({ type: 'down', at: this.clock.now() });
  }

  /** Whether it accepts connections (false after goDown()). */
  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Listens again on the same port after goDown(). */
  async comeUp(): Promise<void> {
    if (!this.server) await this.listen();
  }

  mode(): SmsCentreMode {
    return structuredClone(this.current);
  }

  setMode(patch: Partial<SmsCentreMode>): void {
    this.current = { ...this.current, ...structuredClone(patch) };
  }

  records(): SmsCentreRecord[] {
    return [...this.recs];
  }
  submits(): SubmitRecord[] {
    return this.recs.filter((r): r is SubmitRecord => r.type === 'submit');
  }
  /** Logical messages: concatenated parts reassembled, only what the SMSC accepted. */
  messages(): LogicalMessage[] {
    return this.recs.filter((r): r is LogicalMessage => r.type === 'message');
  }
  boundSessions(): number {
    return [...this.peers].filter((p) => p.bound).length;
  }

  /** Every new record as it happens (the CLI prints them); returns the unsubscribe function. */
  onRecord(fn: (r: SmsCentreRecord) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** Resolves with the first record (past or future) matching `pred`. */
  waitFor(pred: (r: SmsCentreRecord) => boolean, timeoutMs = 5000): Promise<SmsCentreRecord> {
    const found = this.recs.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (r: SmsCentreRecord) => {
          this.clock.clearTimeout(t);
          this.timers.delete(t);
          resolve(r);
        },
      };
      const t = this.clock.setTimeout(() => {
        this.waiters.delete(w);
        this.timers.delete(t);
        const tail = this.recs.slice(-5).map((r) => r.type).join(', ');
        reject(new Error(`sms-centre: no matching record within ${timeoutMs} ms (last: ${tail})`));
      }, timeoutMs);
      this.timers.add(t);
      this.waiters.add(w);
    });
  }

  /** A phone sends `text` to the service number: deliver_sm (MO), concatenated when long. */
  reply(from: string, text: string): void {
    const parts = splitMo(text);
    const ref = Math.floor(Math.random() * 256);
    const record = { type: 'reply' as const, at: this.clock.now(), from, text, parts: parts.length };
    this.record(record);
    parts.forEach((p, i) => {
      const udh = parts.length > 1 ? Buffer.from([5, 0, 3, ref, parts.length, i + 1]) : undefined;
      const params = {
        source_addr: from,
        destination_addr: this.serviceNumber,
        esm_class: 0,
        data_coding: p.dataCoding,
        short_message: udh ? { udh, message: p.text } : p.text,
      };
      this.deliver({ params, record, attempts: 0 });
    });
  }

  /** Sends a receipt for any id, known or not (e.g. a forged one). */
  sendReceipt(messageId: string, to: string, stat = 'DELIVRD', err = '000'): void {
    const now = this.clock.now();
    this.deliver(this.receipt({ messageId, to, from: this.serviceNumber, stat, err, submittedAt: now, text: '' }));
  }

  private record(r: SmsCentreRecord): void {
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
    const server = smpp.createServer({ noDelay: true }, (session) => this.onSession(session));
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

  private onSession(session: smpp.Session): void {
    const peer: Peer = { session, systemId: '', bound: false, inflight: new Map() };
    this.peers.add(peer);
    session.on('error', (err: Error) => this.log.debug({ err }, 'sms-centre session error'));
    session.on('close', () => {
      this.peers.delete(peer);
      // deliver_sm never answered: an SMSC keeps them and delivers on the next bind.
      this.outbox.push(...peer.inflight.values());
      peer.inflight.clear();
    });
    for (const command of ['bind_transceiver', 'bind_transmitter', 'bind_receiver'] as const) {
      session.on(command, (pdu: smpp.PDU) => this.onBind(peer, pdu, command));
    }
    session.on('submit_sm', (pdu: smpp.PDU) => this.onSubmit(peer, pdu));
    session.on('enquire_link', (pdu: smpp.PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: smpp.PDU) => {
      this.record({ type: 'unbind', at: this.clock.now(), systemId: peer.systemId });
      peer.bound = false;
      session.send(pdu.response(), () => session.close());
    });
    session.on('unknown', (pdu: smpp.PDU) => session.send(pdu.response()));
  }

  private onBind(peer: Peer, pdu: smpp.PDU, command: string): void {
    const systemId = String(pdu.system_id ?? '');
    const ok = !this.current.refuseBinds && systemId === this.systemId && String(pdu.password ?? '') === this.password;
    // SMPP 3.4 §4.1: a second bind on a bound session is ESME_RALYBND.
    const status = peer.bound ? S.RALYBND : ok ? S.OK : S.RBINDFAIL;
    this.record({ type: 'bind', at: this.clock.now(), command, systemId, status });
    if (status !== S.OK) {
      peer.session.send(pdu.response({ command_status: status }), () => {
        if (!peer.bound) peer.session.close();
      });
      return;
    }
    peer.systemId = systemId;
    peer.bound = command === 'bind_transceiver' ? 'transceiver' : command === 'bind_receiver' ? 'receiver' : 'transmitter';
    peer.session.send(pdu.response({ system_id: 'SMSCSIM' }));
    this.flush();
  }

  private submitStatus(to: string): number {
    const m = this.current;
    if (m.refuseSubmits !== 0) return m.refuseSubmits;
    if (m.throttleNext > 0) {
      m.throttleNext--;
      return S.RTHROTTLED;
    }
    const reject = m.rejectNumbers[to];
    if (reject !== undefined) return reject;
    if (m.throttleRate > 0) {
      const now = this.clock.now();
      this.accepted = this.accepted.filter((t) => t > now - 1000);
      if (this.accepted.length >= m.throttleRate) return S.RTHROTTLED;
      this.accepted.push(now);
    }
    return S.OK;
  }

  private onSubmit(peer: Peer, pdu: smpp.PDU): void {
    const sm = pdu.short_message as { udh?: unknown } | undefined;
    const to = String(pdu.destination_addr ?? '');
    const rec: SubmitRecord = {
      type: 'submit',
      at: this.clock.now(),
      systemId: peer.systemId,
      from: String(pdu.source_addr ?? ''),
      to,
      dataCoding: Number(pdu.data_coding ?? 0),
      esmClass: Number(pdu.esm_class ?? 0),
      registeredDelivery: Number(pdu.registered_delivery ?? 0),
      text: textOf(sm),
      status: S.OK,
    };
    const udh = udhHex(sm?.udh);
    const concat = concatOf(sm?.udh);
    if (udh) rec.udh = udh;
    if (concat) rec.concat = concat;
    if (peer.bound !== 'transceiver' && peer.bound !== 'transmitter') {
      rec.status = S.RINVBNDSTS;
    } else if (this.current.dropResponses > 0) {
      this.current.dropResponses--;
      rec.status = -1;
      this.record(rec);
      return;
    } else {
      rec.status = this.submitStatus(to);
    }
    if (rec.status !== S.OK) {
      this.record(rec);
      peer.session.send(pdu.response({ command_status: rec.status }));
      return;
    }
    rec.messageId = (this.nextId++).toString(16).padStart(8, '0');
    this.record(rec);
    this.assemble(rec);
    peer.session.send(pdu.response({ message_id: rec.messageId }), () => this.scheduleReceipt(rec));
  }

  private assemble(rec: SubmitRecord): void {
    const c = rec.concat;
    const logical = (parts: SubmitRecord[]): LogicalMessage => ({
      type: 'message',
      at: this.clock.now(),
      from: rec.from,
      to: rec.to,
      text: parts.map((p) => p.text).join(''),
      parts: parts.length,
      dataCoding: rec.dataCoding,
      messageIds: parts.map((p) => p.messageId ?? ''),
    });
    if (!c || c.total <= 1) {
      this.record(logical([rec]));
      return;
    }
    const key = `${rec.systemId}|${rec.from}|${rec.to}|${c.ref}|${c.total}`;
    const parts = this.concat.get(key) ?? new Map<number, SubmitRecord>();
    parts.set(c.index, rec);
    this.concat.set(key, parts);
    if (parts.size < c.total) return;
    this.concat.delete(key);
    this.record(logical([...parts.entries()].sort(([a], [b]) => a - b).map(([, p]) => p)));
  }

  private scheduleReceipt(rec: SubmitRecord): void {
    const rd = rec.registeredDelivery & 0x03; // SMPP 3.4 §5.2.17: 1 = always, 2 = on failure only
    if (rd === 0 || !rec.messageId) return;
    const m = this.current;
    const fail = !m.fakeInstantReceipts && m.failNumbers.includes(rec.to);
    if (rd === 2 && !fail) return;
    const id = m.receiptIdStyle === 'decimal' ? BigInt(`0x${rec.messageId}`).toString() : rec.messageId;
    const out = this.receipt({
      messageId: id,
      to: rec.to,
      from: rec.from,
      stat: fail ? m.failStat : 'DELIVRD',
      err: fail ? m.failErr : '000',
      submittedAt: rec.at,
      text: rec.text,
    });
    if (m.fakeInstantReceipts) this.deliver(out);
    else this.later(m.receiptDelayMs, () => this.deliver(out));
  }

  private receipt(r: { messageId: string; to: string; from: string; stat: string; err: string; submittedAt: number; text: string }): Outgoing {
    const text = receiptText({ id: r.messageId, stat: r.stat, err: r.err, submittedAt: r.submittedAt, doneAt: this.clock.now(), text: r.text });
    const params: Record<string, unknown> = {
      source_addr: r.to,
      destination_addr: r.from,
      esm_class: 0x04, // SMPP 3.4 §5.2.12: SMSC delivery receipt
      data_coding: 0x00,
      short_message: Buffer.from(text, 'ascii'),
    };
    if (this.current.receiptTlvs) {
      params.receipted_message_id = r.messageId;
      params.message_state = STAT_STATE[r.stat] ?? 7;
    }
    return { params, attempts: 0, record: { type: 'receipt', at: this.clock.now(), to: r.to, messageId: r.messageId, stat: r.stat, text } };
  }

  private receiverPeer(): Peer | undefined {
    return [...this.peers].find((p) => p.bound === 'transceiver' || p.bound === 'receiver');
  }

  private deliver(out: Outgoing): void {
    const peer = this.receiverPeer();
    if (!peer) {
      this.outbox.push(out);
      return;
    }
    out.attempts++;
    if (out.attempts === 1 && out.record.type === 'receipt') this.record(out.record);
    const pdu = new smpp.PDU('deliver_sm', { ...out.params });
    const sent = peer.session.send(pdu, (resp) => {
      peer.inflight.delete(pdu.sequence_number);
      out.record.ackStatus = resp.command_status;
      // SMPP 3.4 §5.1.3 ESME_RX_T_APPN and kin: the ESME could not take it now; try again.
      if (resp.command_status !== S.OK && out.attempts < 5) this.later(this.current.redeliverDelayMs, () => this.deliver(out));
    });
    if (sent) peer.inflight.set(pdu.sequence_number, out);
    else this.outbox.push(out);
  }

  private flush(): void {
    const pending = this.outbox;
    this.outbox = [];
    for (const out of pending) this.deliver(out);
  }
}
