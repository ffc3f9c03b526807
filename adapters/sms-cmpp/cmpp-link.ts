/**
 * One CMPP long connection to the ISMG (CMPP 2.0 §6.1, 3.0 §7.1), kept up: TCP connect,
 * CMPP_CONNECT with the MD5 authenticator and version negotiation, CMPP_ACTIVE_TEST both ways,
 * requests matched to responses by Sequence_Id, CMPP_TERMINATE both ways, reconnect with
 * backoff after any loss. Session policy only: bytes go through cmpp-framer.ts and cmpp-codec.ts.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../gateway/contract/clock.js';
import { authenticatorIsmg, authenticatorSource, cmppTimestamp, msgIdKey } from './cmpp-auth.js';
import { decodePdu, encodePdu } from './cmpp-codec.js';
import { COMMAND, CONNECT_STATUS, RESULT, VERSION_BYTE, WIDTHS, commandName, connectStatusName, versionOfByte, type CmppVersion } from './cmpp-constants.js';
import { FrameDecoder } from './cmpp-framer.js';
import type { CmppPdu, ConnectRespPdu, DeliverPdu, SubmitPdu } from './cmpp-pdu.js';
import type { SubmitOutcome } from './submit-window.js';

export interface LinkConfig {
  host: string;
  port: number;
  spId: string;
  sharedSecret: string;
  version: CmppVersion;
  versionFallback: boolean;
  verifyIsmg: 'off' | 'warn' | 'enforce';
  timeZone: string;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  activeTestMs: number;
  activeTestTimeoutMs: number;
  activeTestTries: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export interface LinkHandlers {
  onConnected(version: CmppVersion): void;
  /** Called when a connected session is lost, and when a connection attempt fails with a new reason. */
  onDisconnected(detail: string): void;
  /** Handles a CMPP_DELIVER; resolves to the Result of its CMPP_DELIVER_RESP. */
  onDeliver(pdu: DeliverPdu): Promise<number>;
  /** An ACTIVE_TEST round trip, in ms. */
  onActiveTest?(rttMs: number): void;
  /** A frame that could not be read (counted by the adapter as a reject). */
  onMalformed(detail: string): void;
}

type State = 'idle' | 'connecting' | 'connected' | 'stopped';

interface Pending {
  command: number;
  resolve(pdu: CmppPdu | undefined, detail: string): void;
}

export type SubmitFields = Omit<SubmitPdu, 'command' | 'sequenceId'>;

export class CmppLink {
  private state: State = 'idle';
  private socket: Socket | undefined;
  private generation = 0;
  private session: CmppVersion;
  private offer: CmppVersion;
  private nextSeq = 1;
  private readonly pending = new Map<number, Pending>();
  private reconnectTimer: Timer | undefined;
  private idleTimer: Timer | undefined;
  private lastRx = 0;
  private misses = 0;
  private backoffMs: number;
  private lastDetail = 'not started';
  /** Why the current socket is ending; set by whoever ends it, read when it closes. */
  private closeReason = '';

  constructor(
    private readonly cfg: LinkConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly handlers: LinkHandlers,
  ) {
    this.session = cfg.version;
    this.offer = cfg.version;
    this.backoffMs = cfg.reconnectMinMs;
  }

  isConnected(): boolean {
    return this.state === 'connected';
  }

  /** The version the session speaks (the negotiated one while connected). */
  get version(): CmppVersion {
    return this.session;
  }

  /** Why the link is not connected (last failure), for health details. */
  get detail(): string {
    return this.lastDetail;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'connecting';
    this.connect();
  }

  async stop(): Promise<void> {
    const wasConnected = this.state === 'connected';
    this.state = 'stopped';
    this.clearTimers();
    const socket = this.socket;
    if (!socket) return;
    if (wasConnected) {
      // CMPP 2.0 §7.4.2 / 3.0 §8.4.2: end the application-level connection before the TCP one.
      await this.request({ command: 'terminate', sequenceId: 0 }, Math.min(this.cfg.responseTimeoutMs, 2000));
    }
    this.closeReason ||= 'adapter stopped';
    await new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      const t = this.clock.setTimeout(resolve, 1000);
      socket.once('close', () => {
        this.clock.clearTimeout(t);
        resolve();
      });
      socket.destroy();
    });
  }

  /** CMPP_SUBMIT; never rejects. */
  async submit(fields: SubmitFields): Promise<SubmitOutcome> {
    if (this.state !== 'connected') return { kind: 'lost', detail: `not connected: ${this.lastDetail}` };
    const { pdu, detail } = await this.request({ command: 'submit', sequenceId: 0, ...fields }, this.cfg.responseTimeoutMs);
    if (!pdu || pdu.command !== 'submit_resp') return { kind: 'lost', detail };
    if (pdu.result !== RESULT.OK) return { kind: 'result', result: pdu.result };
    return { kind: 'accepted', msgId: msgIdKey(pdu.msgId) };
  }

  /** One ACTIVE_TEST round trip in ms, or undefined when not connected or unanswered. */
  async activeTest(timeoutMs = this.cfg.activeTestTimeoutMs): Promise<number | undefined> {
    if (this.state !== 'connected') return undefined;
    const t0 = performance.now();
    const { pdu } = await this.request({ command: 'active_test', sequenceId: 0 }, timeoutMs);
    if (!pdu) return undefined;
    const rtt = Math.round((performance.now() - t0) * 100) / 100;
    this.handlers.onActiveTest?.(rtt);
    return rtt;
  }

  private clearTimers(): void {
    for (const t of [this.reconnectTimer, this.idleTimer]) if (t !== undefined) this.clock.clearTimeout(t);
    this.reconnectTimer = undefined;
    this.idleTimer = undefined;
  }

  private seq(): number {
    // §7.3 / §8.3: Sequence_Id counts up by one and wraps around.
    const s = this.nextSeq;
    this.nextSeq = this.nextSeq >= 0xffffffff ? 1 : this.nextSeq + 1;
    return s;
  }

  private send(pdu: CmppPdu): boolean {
    const socket = this.socket;
    if (!socket || socket.destroyed) return false;
    socket.write(encodePdu(pdu, this.session));
    return true;
  }

  private request(pdu: CmppPdu, timeoutMs: number): Promise<{ pdu?: CmppPdu; detail: string }> {
    return new Promise((resolve) => {
      const sequenceId = this.seq();
      const command = pdu.command === 'other' ? pdu.commandId : ((COMMAND as Record<string, number>)[pdu.command.toUpperCase()] ?? 0);
      let done = false;
      const finish = (resp: CmppPdu | undefined, detail: string): void => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        this.pending.delete(sequenceId);
        resolve(resp ? { pdu: resp, detail } : { detail });
      };
      const timer = this.clock.setTimeout(() => finish(undefined, `no response to ${commandName(command)} within ${timeoutMs} ms`), timeoutMs);
      this.pending.set(sequenceId, { command, resolve: finish });
      let sent: boolean;
      try {
        sent = this.send({ ...pdu, sequenceId });
      } catch (err) {
        // A field CMPP cannot carry (the codec's coded error): no use waiting for an answer.
        finish(undefined, err instanceof Error ? err.message : String(err));
        return;
      }
      if (!sent) finish(undefined, 'socket closed');
    });
  }

  private connect(): void {
    const gen = ++this.generation;
    this.closeReason = '';
    this.session = this.offer;
    const socket = tcpConnect({ host: this.cfg.host, port: this.cfg.port, noDelay: true });
    this.socket = socket;
    const decoder = new FrameDecoder();
    // The CONNECT_RESP must come within connectTimeoutMs of starting: a silent peer is not an ISMG.
    const connectTimer = this.clock.setTimeout(() => {
      this.closeReason ||= `no CMPP_CONNECT_RESP within ${this.cfg.connectTimeoutMs} ms`;
      socket.destroy();
    }, this.cfg.connectTimeoutMs);
    let authSource: Buffer = Buffer.alloc(16);
    socket.on('error', (err: Error) => {
      if (gen === this.generation) this.closeReason ||= err.message;
    });
    socket.on('close', () => {
      this.clock.clearTimeout(connectTimer);
      if (gen === this.generation) this.closed(gen, this.closeReason || (this.state === 'connected' ? 'connection closed by the ISMG' : 'connection closed before CMPP_CONNECT_RESP'));
    });
    socket.on('connect', () => {
      const ts = cmppTimestamp(this.clock.now(), this.cfg.timeZone);
      authSource = authenticatorSource(this.cfg.spId, this.cfg.sharedSecret, ts.text);
      const sequenceId = this.seq();
      this.send({ command: 'connect', sequenceId, sourceAddr: this.cfg.spId, authenticatorSource: authSource, version: VERSION_BYTE[this.offer], timestamp: ts.value });
    });
    socket.on('data', (chunk: Buffer) => {
      if (gen !== this.generation) return;
      const out = decoder.push(chunk);
      for (const frame of out.frames) {
        if (gen !== this.generation) return;
        this.onFrame(frame, gen, connectTimer, authSource);
      }
      if (out.error !== undefined && gen === this.generation) {
        this.handlers.onMalformed(out.error);
        this.closeReason ||= `stream broken: ${out.error}`;
        socket.destroy();
      }
    });
  }

  private onFrame(frame: Buffer, gen: number, connectTimer: Timer, authSource: Buffer): void {
    this.lastRx = this.clock.now();
    this.misses = 0;
    const decoded = decodePdu(frame, this.session);
    if (!decoded.ok) {
      this.handlers.onMalformed(`${commandName(decoded.commandId ?? 0)}: ${decoded.detail}`);
      // A DELIVER we cannot read is answered "message structure error" (§7.4.5.2 / §8.4.5.2
      // Result 1) when its Msg_Id is there, so the ISMG does not resend it forever.
      if (decoded.commandId === COMMAND.DELIVER && decoded.sequenceId !== undefined && frame.length >= 20 && this.state === 'connected') {
        this.send({ command: 'deliver_resp', sequenceId: decoded.sequenceId, msgId: frame.readBigUInt64BE(12), result: RESULT.STRUCTURE, resultWidth: WIDTHS[this.session].result });
      }
      return;
    }
    const pdu = decoded.pdu;
    if (this.state === 'connecting') {
      if (pdu.command === 'connect_resp') {
        this.clock.clearTimeout(connectTimer);
        this.onConnectResp(pdu, gen, authSource);
      } else {
        this.handlers.onMalformed(`${commandName(frame.readUInt32BE(4))} before CMPP_CONNECT_RESP`);
      }
      return;
    }
    switch (pdu.command) {
      case 'submit_resp':
      case 'active_test_resp':
      case 'terminate_resp': {
        const p = this.pending.get(pdu.sequenceId);
        if (p) p.resolve(pdu, 'answered');
        else this.log.warn({ command: pdu.command, sequenceId: pdu.sequenceId }, 'CMPP response to no request (late or unknown Sequence_Id)');
        return;
      }
      case 'deliver':
        void this.handlers
          .onDeliver(pdu)
          .catch((err: unknown) => {
            this.log.error({ err }, 'CMPP_DELIVER handler failed');
            return RESULT.FLOW_CONTROL;
          })
          .then((result) => {
            if (gen === this.generation) this.send({ command: 'deliver_resp', sequenceId: pdu.sequenceId, msgId: pdu.msgId, result, resultWidth: WIDTHS[this.session].result });
          });
        return;
      case 'active_test':
        // §7.4.7 / §8.4.7: the ISMG checks the link; answer at once.
        this.send({ command: 'active_test_resp', sequenceId: pdu.sequenceId, reserved: 0 });
        return;
      case 'terminate':
        // §7.4.2 / §8.4.2: the ISMG ends the session; answer, close, connect again after backoff.
        this.closeReason = 'the ISMG terminated the session (CMPP_TERMINATE)';
        this.send({ command: 'terminate_resp', sequenceId: pdu.sequenceId });
        this.socket?.end();
        return;
      default:
        this.handlers.onMalformed(`unexpected ${commandName(frame.readUInt32BE(4))} from the ISMG`);
    }
  }

  private onConnectResp(resp: ConnectRespPdu, gen: number, authSource: Buffer): void {
    const socket = this.socket;
    if (!socket) return;
    const where = `ISMG ${this.cfg.host}:${this.cfg.port} as SP ${this.cfg.spId}`;
    if (resp.status !== CONNECT_STATUS.OK) {
      if (resp.status === CONNECT_STATUS.VERSION_TOO_HIGH && this.offer === '3.0' && this.cfg.versionFallback) {
        // Version negotiation (§8.4.1.2 "Version: the highest version the server supports"): offer 2.0 next.
        this.offer = '2.0';
        this.closeReason = `CMPP_CONNECT refused by ${where}: ${connectStatusName(resp.status)}; offering CMPP 2.0 next`;
        this.backoffMs = 0;
      } else {
        const hint = resp.status === CONNECT_STATUS.AUTH ? '; check spId and sharedSecret' : resp.status === CONNECT_STATUS.ILLEGAL_SOURCE ? '; check spId' : '';
        this.closeReason = `CMPP_CONNECT refused by ${where}: ${connectStatusName(resp.status)}${hint}`;
      }
      socket.destroy();
      return;
    }
    if (this.cfg.verifyIsmg !== 'off') {
      // Either width: some 3.0 ISMGs hash the Status as one octet.
      const ok = ([1, 4] as const).some((w) => authenticatorIsmg(resp.status, w, authSource, this.cfg.sharedSecret).equals(resp.authenticatorIsmg));
      if (!ok) {
        const detail = `AuthenticatorISMG from ${where} does not match the shared secret`;
        if (this.cfg.verifyIsmg === 'enforce') {
          this.closeReason = `${detail} (verifyIsmg: enforce)`;
          socket.destroy();
          return;
        }
        this.log.warn({ host: this.cfg.host, port: this.cfg.port }, `${detail}; continuing (verifyIsmg: warn)`);
      }
    }
    // The session speaks the lower of what we offered and what the answer shows: a one-octet
    // Status is a 2.0 layout whatever its Version says.
    const answered = resp.statusWidth === 1 ? '2.0' : (versionOfByte(resp.version) ?? this.offer);
    this.session = answered === '2.0' || this.offer === '2.0' ? '2.0' : '3.0';
    if (gen !== this.generation || this.state === 'stopped') return;
    this.state = 'connected';
    this.backoffMs = this.cfg.reconnectMinMs;
    this.lastDetail = '';
    this.lastRx = this.clock.now();
    this.misses = 0;
    this.log.info({ host: this.cfg.host, port: this.cfg.port, spId: this.cfg.spId, version: this.session, ismgVersion: `0x${resp.version.toString(16)}` }, 'CMPP connected');
    this.armIdle();
    this.handlers.onConnected(this.session);
  }

  /**
   * §6.1 / §7.1: with no data on the link for C, send an ACTIVE_TEST; without an answer after T,
   * send another; N unanswered in a row end the connection. Anything received counts as data.
   */
  private armIdle(): void {
    if (this.idleTimer !== undefined) this.clock.clearTimeout(this.idleTimer);
    const due = this.lastRx + this.cfg.activeTestMs - this.clock.now();
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = undefined;
      if (this.state !== 'connected') return;
      if (this.clock.now() - this.lastRx < this.cfg.activeTestMs) this.armIdle();
      else this.probe();
    }, Math.max(0, due));
  }

  private probe(): void {
    const gen = this.generation;
    const sentAt = this.clock.now();
    void this.activeTest(this.cfg.activeTestTimeoutMs).then((rtt) => {
      if (gen !== this.generation || this.state !== 'connected') return;
      // Something arrived since the probe went out (its answer, or any other frame): alive.
      if (rtt !== undefined || this.lastRx > sentAt) {
        this.misses = 0;
        this.armIdle();
        return;
      }
      this.misses++;
      if (this.misses >= this.cfg.activeTestTries) {
        this.closeReason = `no CMPP_ACTIVE_TEST_RESP to ${this.misses} tries ${this.cfg.activeTestTimeoutMs} ms apart`;
        this.log.warn({ tries: this.misses }, 'CMPP link silent; reconnecting');
        this.socket?.destroy();
        return;
      }
      this.probe();
    });
  }

  private closed(gen: number, detail: string): void {
    if (gen !== this.generation) return;
    this.generation++; // late events of this socket are ignored from here on
    const wasConnected = this.state === 'connected';
    if (this.idleTimer !== undefined) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.socket?.removeAllListeners('data');
    this.socket = undefined;
    if (this.state !== 'stopped') this.state = 'connecting';
    const changed = wasConnected || detail !== this.lastDetail;
    this.lastDetail = detail;
    if (this.state !== 'stopped' && changed) this.handlers.onDisconnected(detail);
    // After onDisconnected, so the window is no longer ready when the lost SUBMITs come back.
    for (const p of [...this.pending.values()]) p.resolve(undefined, `link lost: ${detail}`);
    this.pending.clear();
    if (this.state === 'stopped') return;
    const delay = Math.round(this.backoffMs * (0.8 + Math.random() * 0.4));
    this.backoffMs = Math.min(this.cfg.reconnectMaxMs, Math.max(this.cfg.reconnectMinMs, this.backoffMs * 2));
    this.log.warn({ detail, wasConnected, retryInMs: delay }, 'CMPP link down');
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state === 'connecting') this.connect();
    }, delay);
  }
}
