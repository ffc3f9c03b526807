/**
 * A simulated DC-09 alarm panel (the PE side of a school's one-touch button): sends panic,
 * test and link-test frames to a receiver and reports the reply. It keeps its own sequence
 * counter (SIA DC-09-2013 5.5.1.5: next number for a new message, the same for a retry) and,
 * like a real panel, corrects its clock from a NAK's receiver timestamp (5.5.3.2).
 */
import type { Logger } from 'pino';
import type { ContactIdEventCode } from '../../adapters/shared/dc09/contact-id.js';
import { DC09_ERRORS } from '../../adapters/shared/dc09/dc09-errors.js';
import { nextSequence } from '../../adapters/shared/dc09/dc09-time.js';
import type { Dc09EventSpec } from '../../adapters/shared/dc09/dc09-transmitter-logic.js';
import { Dc09Transmitter, type Dc09SendResult } from '../../adapters/shared/dc09/dc09-transmitter.js';
import type { Dc09Frame } from '../../adapters/shared/dc09/dc09-frame.js';
import { systemClock, type Clock } from '../../gateway/contract/clock.js';

export interface Dc09PanelOptions {
  host: string;
  port: number;
  account: string;
  key?: Uint8Array;
  receiver?: string;
  line?: string;
  /** 'sia' sends DC-03 codes (PA, RP, RX), 'cid' Contact ID (120, 602, 601). Default 'sia'. */
  protocol?: 'sia' | 'cid';
  /** First sequence number; default 1. */
  sequence?: number;
  /** The panel's clock error in ms (negative: behind); NAKs correct it. */
  clockOffsetMs?: number;
  ackTimeoutMs?: number;
  persistent?: boolean;
  log?: Logger;
  clock?: Clock;
}

export type PanelSendResult = Dc09SendResult & { sent: Dc09Frame };

export class Dc09PanelSimulator {
  private tx?: Dc09Transmitter;
  private seq: number;
  private offsetMs: number;
  private last?: { event: Dc09EventSpec; sequence: number };

  constructor(private readonly opts: Dc09PanelOptions) {
    this.seq = opts.sequence ?? 1;
    this.offsetMs = opts.clockOffsetMs ?? 0;
  }

  private get clock(): Clock {
    return this.opts.clock ?? systemClock;
  }

  async start(): Promise<void> {
    const base = this.clock;
    // The panel's own wall clock: the system clock plus its drift.
    const panelClock: Clock = { ...base, now: () => base.now() + this.offsetMs };
    this.tx = new Dc09Transmitter({
      host: this.opts.host,
      port: this.opts.port,
      ...(this.opts.ackTimeoutMs !== undefined ? { ackTimeoutMs: this.opts.ackTimeoutMs } : {}),
      ...(this.opts.persistent !== undefined ? { persistent: this.opts.persistent } : {}),
      ...(this.opts.log ? { log: this.opts.log } : {}),
      clock: panelClock,
    });
    await this.tx.start();
  }

  async stop(): Promise<void> {
    await this.tx?.stop();
    this.tx = undefined;
  }

  /** The sequence number the next new message will carry. */
  get nextSequence(): number {
    return this.seq;
  }

  get clockOffsetMs(): number {
    return this.offsetMs;
  }

  panic(zone = 1, area = 1): Promise<PanelSendResult> {
    return this.send(
      this.protocol === 'cid'
        ? { protocol: 'cid', qualifier: 1, code: '120', partition: area, zone }
        : { protocol: 'sia', code: 'PA', zone: String(zone), area: String(area) },
    );
  }

  /** Periodic (automatic) or manual test report. */
  test(kind: 'periodic' | 'manual' = 'periodic'): Promise<PanelSendResult> {
    const cid: ContactIdEventCode = kind === 'periodic' ? '602' : '601';
    return this.send(
      this.protocol === 'cid'
        ? { protocol: 'cid', qualifier: 1, code: cid, partition: 0, zone: 0 }
        : { protocol: 'sia', code: kind === 'periodic' ? 'RP' : 'RX' },
    );
  }

  /** NULL supervision message (5.5.2.1). */
  linkTest(): Promise<PanelSendResult> {
    return this.send({ protocol: 'null' });
  }

  /** Sends a new message with the next sequence number. */
  send(event: Dc09EventSpec): Promise<PanelSendResult> {
    const sequence = this.seq;
    this.seq = nextSequence(this.seq);
    this.last = { event, sequence };
    return this.transmit(event, sequence);
  }

  /** Sends the last message again with the same sequence number (a retransmission). */
  retry(): Promise<PanelSendResult> {
    if (!this.last) throw DC09_ERRORS.error('GW_ERR_DC09_NO_MESSAGE', 'nothing to retry');
    return this.transmit(this.last.event, this.last.sequence);
  }

  private get protocol(): 'sia' | 'cid' {
    return this.opts.protocol ?? 'sia';
  }

  private async transmit(event: Dc09EventSpec, sequence: number): Promise<PanelSendResult> {
    if (!this.tx) throw DC09_ERRORS.error('GW_ERR_DC09_NOT_STARTED', 'panel simulator is not started');
    const res = await this.tx.sendEvent({
      account: this.opts.account,
      sequence,
      event,
      ...(this.opts.key ? { key: this.opts.key } : {}),
      ...(this.opts.receiver !== undefined ? { receiver: this.opts.receiver } : {}),
      ...(this.opts.line !== undefined ? { line: this.opts.line } : {}),
    });
    if (res.reply === 'nak' && res.receiverTime !== undefined) {
      // Take the receiver's time as our own (whole seconds, as DC-09 timestamps are).
      this.offsetMs = res.receiverTime - this.clock.now();
    }
    return res;
  }
}
