/**
 * One SMPP 3.4 transceiver session to the SMSC, kept alive: connect, bind_transceiver,
 * enquire_link while bound, rebind with exponential backoff after any loss. Built on the
 * `smpp` package for PDU framing; session policy (timers, backoff, what "dead" means) is ours.
 */
import smpp from 'smpp';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../gateway/contract/clock.js';
import { INTERFACE_VERSION_34, STATUS, statusName } from './smpp-constants.js';
import type { SubmitOutcome } from './submit-scheduler.js';

export interface LinkConfig {
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType: string;
  enquireLinkMs: number;
  responseTimeoutMs: number;
  bindTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export interface LinkHandlers {
  onBound(): void;
  /** Called when a bound session is lost, and when a connect/bind attempt fails. */
  onUnbound(detail: string): void;
  /** Handles a deliver_sm; resolves to the command_status for deliver_sm_resp. */
  onDeliverSm(pdu: smpp.PDU): Promise<number>;
  onEnquireLink?(rttMs: number): void;
}

type LinkState = 'idle' | 'connecting' | 'bound' | 'stopped';

interface Reply {
  resp?: smpp.PDU;
  detail: string;
}

/** PDUs we answer ourselves; anything else that expects a response gets ESME_RINVCMDID. */
const NO_RESPONSE = new Set(['alert_notification', 'outbind']);

export class SmppLink {
  private state: LinkState = 'idle';
  private session: smpp.Session | undefined;
  private generation = 0;
  private readonly pending = new Map<number, (r: Reply) => void>();
  private reconnectTimer: Timer | undefined;
  private enquireTimer: Timer | undefined;
  private backoffMs: number;
  private lastDetail = 'not started';
  /** Why the current session is ending; set by whoever ends it, read when it closes. */
  private closeReason = '';

  constructor(
    private readonly cfg: LinkConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly handlers: LinkHandlers,
  ) {
    this.backoffMs = cfg.reconnectMinMs;
  }

  isBound(): boolean {
    return this.state === 'bound';
  }

  /** Why the link is not bound (last failure), for health details. */
  get detail(): string {
    return this.lastDetail;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'connecting';
    this.connect();
  }

  async stop(): Promise<void> {
    const wasBound = this.state === 'bound';
    this.state = 'stopped';
    this.clearTimers();
    const session = this.session;
    if (!session) return;
    if (wasBound) {
      // SMPP 3.4 §4.2: unbind politely so the SMSC stops queuing receipts for us.
      await this.request(session, new smpp.PDU('unbind'), Math.min(this.cfg.responseTimeoutMs, 2000));
    }
    await new Promise<void>((resolve) => {
      const t = this.clock.setTimeout(resolve, 1000);
      session.destroy(() => {
        this.clock.clearTimeout(t);
        resolve();
      });
    });
    this.closed(this.generation, 'adapter stopped');
  }

  /** submit_sm; never rejects. */
  async submit(params: Record<string, unknown>): Promise<SubmitOutcome> {
    const session = this.session;
    if (!session || this.state !== 'bound') return { kind: 'lost', detail: 'not bound' };
    const { resp, detail } = await this.request(session, new smpp.PDU('submit_sm', params), this.cfg.responseTimeoutMs);
    if (!resp) return { kind: 'lost', detail };
    if (resp.command_status !== STATUS.ESME_ROK) return { kind: 'status', status: resp.command_status };
    return { kind: 'accepted', messageId: typeof resp.message_id === 'string' ? resp.message_id : '' };
  }

  /** enquire_link round trip in ms, or undefined when not bound or no answer. */
  async enquireLink(): Promise<number | undefined> {
    const session = this.session;
    if (!session || this.state !== 'bound') return undefined;
    const t0 = performance.now();
    const { resp } = await this.request(session, new smpp.PDU('enquire_link'), this.cfg.responseTimeoutMs);
    if (!resp || resp.command_status !== STATUS.ESME_ROK) return undefined;
    const rtt = Math.round((performance.now() - t0) * 100) / 100;
    this.handlers.onEnquireLink?.(rtt);
    return rtt;
  }

  private clearTimers(): void {
    if (this.reconnectTimer !== undefined) this.clock.clearTimeout(this.reconnectTimer);
    if (this.enquireTimer !== undefined) this.clock.clearInterval(this.enquireTimer);
    this.reconnectTimer = undefined;
    this.enquireTimer = undefined;
  }

  private connect(): void {
    const gen = ++this.generation;
    this.closeReason = '';
    const session = smpp.connect({ host: this.cfg.host, port: this.cfg.port, noDelay: true });
    this.session = session;
    // session_init_timer (SMPP 3.4 §7.2): connect and bind must finish in bindTimeoutMs.
    const bindTimer = this.clock.setTimeout(() => {
      this.closeReason ||= `no bind_transceiver_resp within ${this.cfg.bindTimeoutMs} ms`;
      session.destroy();
    }, this.cfg.bindTimeoutMs);
    session.on('error', (err: Error) => {
      if (gen === this.generation) this.closeReason ||= err.message;
    });
    session.on('close', () => {
      this.clock.clearTimeout(bindTimer);
      if (gen !== this.generation) return;
      this.closed(gen, this.closeReason || (this.state === 'bound' ? 'connection closed by the SMSC' : 'connection closed before bind'));
    });
    session.on('connect', () => void this.bind(session, gen, bindTimer));
    session.on('pdu', (pdu: smpp.PDU) => this.onPdu(session, pdu));
  }

  private async bind(session: smpp.Session, gen: number, bindTimer: Timer): Promise<void> {
    const pdu = new smpp.PDU('bind_transceiver', {
      system_id: this.cfg.systemId,
      password: this.cfg.password,
      system_type: this.cfg.systemType,
      interface_version: INTERFACE_VERSION_34,
    });
    const { resp, detail } = await this.request(session, pdu, this.cfg.bindTimeoutMs);
    this.clock.clearTimeout(bindTimer);
    if (gen !== this.generation || this.state === 'stopped') return;
    if (!resp) {
      this.closeReason ||= `bind failed: ${detail}`;
      session.destroy();
      return;
    }
    if (resp.command_status !== STATUS.ESME_ROK) {
      // SMPP 3.4 §4.1.1: ESME_RBINDFAIL / RINVPASWD / RINVSYSID mean the SMSC refused us.
      this.closeReason = `bind refused by SMSC ${this.cfg.host}:${this.cfg.port} as '${this.cfg.systemId}': ${statusName(resp.command_status)}; check systemId/password`;
      session.destroy();
      return;
    }
    this.state = 'bound';
    this.backoffMs = this.cfg.reconnectMinMs;
    this.lastDetail = '';
    this.log.info({ host: this.cfg.host, port: this.cfg.port, systemId: this.cfg.systemId, smsc: resp.system_id }, 'SMPP bound');
    this.enquireTimer = this.clock.setInterval(() => void this.enquireLink(), this.cfg.enquireLinkMs);
    this.handlers.onBound();
  }

  private onPdu(session: smpp.Session, pdu: smpp.PDU): void {
    if (pdu.isResponse()) return; // matched to its request by the library's callback
    switch (pdu.command) {
      case 'deliver_sm':
        void this.handlers
          .onDeliverSm(pdu)
          .catch((err: unknown) => {
            this.log.error({ err }, 'deliver_sm handler failed');
            return STATUS.ESME_RX_T_APPN;
          })
          .then((status) => session.send(pdu.response(status === STATUS.ESME_ROK ? {} : { command_status: status })));
        return;
      case 'enquire_link':
        session.send(pdu.response());
        return;
      case 'unbind':
        // SMPP 3.4 §4.2.2: answer, then the SMSC closes; we rebind after backoff.
        this.closeReason = 'the SMSC unbound the session';
        session.send(pdu.response(), () => session.destroy());
        return;
      default:
        if (NO_RESPONSE.has(pdu.command)) return;
        try {
          session.send(pdu.command === 'unknown' ? pdu.response() : pdu.response({ command_status: 0x03 }));
        } catch (err) {
          this.log.warn({ err, command: pdu.command }, 'cannot answer PDU');
        }
    }
  }

  private request(session: smpp.Session, pdu: smpp.PDU, timeoutMs: number): Promise<Reply> {
    return new Promise((resolve) => {
      let seq = -1;
      let done = false;
      const finish = (r: Reply): void => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        this.pending.delete(seq);
        resolve(r);
      };
      const timer = this.clock.setTimeout(() => {
        // response_timer (SMPP 3.4 §7.2): an unanswered request means the session is dead.
        const detail = `no ${pdu.command}_resp within ${timeoutMs} ms`;
        finish({ detail });
        if (this.session === session && pdu.command !== 'unbind') {
          this.log.warn({ command: pdu.command, timeoutMs }, 'SMPP response timeout; dropping session');
          this.closeReason ||= detail;
          session.destroy();
        }
      }, timeoutMs);
      if (!session.send(pdu, (resp) => finish({ resp, detail: 'answered' }))) {
        finish({ detail: 'socket not writable' });
        return;
      }
      seq = pdu.sequence_number;
      this.pending.set(seq, finish);
    });
  }

  private closed(gen: number, detail: string): void {
    if (gen !== this.generation) return;
    this.generation++; // late events of this session are ignored from here on
    const wasBound = this.state === 'bound';
    if (this.enquireTimer !== undefined) this.clock.clearInterval(this.enquireTimer);
    this.enquireTimer = undefined;
    this.session?.removeAllListeners('pdu');
    this.session = undefined;
    if (this.state !== 'stopped') this.state = 'connecting';
    const changed = wasBound || detail !== this.lastDetail;
    this.lastDetail = detail;
    if (this.state !== 'stopped' && changed) this.handlers.onUnbound(detail);
    // After onUnbound, so the scheduler is not ready when the lost submits come back.
    for (const finish of [...this.pending.values()]) finish({ detail: `link lost: ${detail}` });
    this.pending.clear();
    if (this.state === 'stopped') return;
    const delay = Math.round(this.backoffMs * (0.8 + Math.random() * 0.4));
    this.backoffMs = Math.min(this.cfg.reconnectMaxMs, this.backoffMs * 2);
    this.log.warn({ detail, wasBound, retryInMs: delay }, 'SMPP link down');
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state === 'connecting') this.connect();
    }, delay);
  }
}
