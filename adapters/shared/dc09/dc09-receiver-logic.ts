/**
 * The receiver's (CSR's) decision for one frame, pure: raw bytes + keys + now → which
 * acknowledgement to send (SIA DC-09-2013 5.5.3) and the decoded message.
 *
 * - bad CRC → no answer at all: the frame cannot be trusted to name who sent it, and the
 *   sender's ACK timeout makes it retransmit (as pysiaalarm does: `response is None`);
 * - timestamp outside the window, or an encrypted message without one → NAK carrying the
 *   receiver's time so the sender can correct its clock (5.5.1.8, 5.5.3.2);
 * - anything else the receiver cannot process (junk, unknown token, no key, undecryptable,
 *   malformed data, plain text where a key is configured) → DUH (5.5.3.3);
 * - otherwise ACK, encrypted with padding and timestamp when the message was (5.5.3.1).
 */
import { randomPad, type PadSource } from './dc09-crypto.js';
import { DC09_ERRORS } from './dc09-errors.js';
import {
  decodeFrame,
  encodeFrame,
  wrapBody,
  type Dc09DecodeError,
  type Dc09Frame,
  type Dc09Header,
  type Dc09KeyLookup,
  type Dc09Quirk,
} from './dc09-frame.js';
import { checkTimestamp, DEFAULT_TIME_WINDOW, formatDc09Timestamp, formatSequence, parseDc09Timestamp, type Dc09TimeWindow } from './dc09-time.js';
import { parseContactId, type ContactIdEvent } from './contact-id.js';
import { parseSiaData, type SiaData } from './sia-codes.js';

export interface ReceiverPolicy {
  /** Key per account (AES-128/192/256); undefined when the account reports unencrypted. */
  keys?: Dc09KeyLookup;
  window?: Dc09TimeWindow;
  /**
   * Apply the window to plain messages that carry a timestamp too. DC-09 requires the test
   * only for encrypted ones; a plain message is not authenticated, but a replayed alarm to the
   * 110 centre is worth refusing either way. Default true.
   */
  checkPlainTimestamps?: boolean;
  /** Accept plain messages from an account that has a key. Default false. */
  allowPlaintextWhenKeyed?: boolean;
  pad?: PadSource;
}

export type Dc09Payload =
  | { kind: 'sia'; sia: SiaData }
  | { kind: 'cid'; cid: ContactIdEvent }
  | { kind: 'null' };

export interface Dc09Message {
  frame: Dc09Frame;
  payload: Dc09Payload;
  /** The frame's timestamp in ms (UTC), when it carried one. */
  timestampMs?: number;
  quirks: Dc09Quirk[];
}

export type Dc09RejectReason =
  | Dc09DecodeError
  | 'junk'
  | 'timestamp'
  | 'encryption-required'
  | 'unexpected-token'
  | 'payload'
  | 'handler-failed';

export type Dc09Decision =
  | { reply: 'ack'; response: Buffer; message: Dc09Message }
  | { reply: 'nak'; response: Buffer; reason: 'timestamp'; detail: string; header: Dc09Header }
  | { reply: 'duh'; response: Buffer; reason: Dc09RejectReason; detail: string; header?: Dc09Header }
  | { reply: 'none'; reason: 'crc'; detail: string };

/** SIA DC-09-2013 5.5.3.2: `"NAK"0000R0L0A0[]_HH:MM:SS,MM-DD-YYYY`, never encrypted. */
export function buildNak(nowMs: number): Buffer {
  return wrapBody(`"NAK"0000R0L0A0[]_${formatDc09Timestamp(nowMs)}`);
}

/**
 * 5.5.3.3: DUH echoes the message's sequence, receiver, line and account when they could be
 * read; for junk it uses the NAK's placeholders.
 */
export function buildDuh(header?: Dc09Header): Buffer {
  if (!header || !/^[0-9A-F]{3,16}$/.test(header.account)) return wrapBody(`"DUH"0000R0L0A0[]`);
  const r = header.receiver !== undefined ? `R${header.receiver}` : '';
  const l = header.line !== undefined ? `L${header.line}` : '';
  return wrapBody(`"DUH"${formatSequence(header.sequence)}${r}${l}#${header.account}[]`);
}

/**
 * 5.5.3.1: `"ACK"seq Rrcvr Lpref #acct[]`, echoing the message's header fields; for an
 * encrypted message `"*ACK"…[` + encrypted pad|]_timestamp.
 */
export function buildAck(frame: Dc09Frame, nowMs: number, key?: Uint8Array, pad: PadSource = randomPad): Buffer {
  const ack: Dc09Frame = {
    token: 'ACK',
    encrypted: frame.encrypted,
    sequence: frame.sequence,
    ...(frame.receiver !== undefined ? { receiver: frame.receiver } : {}),
    ...(frame.line !== undefined ? { line: frame.line } : {}),
    account: frame.account,
    data: '',
    extended: [],
    ...(frame.encrypted ? { timestamp: formatDc09Timestamp(nowMs) } : {}),
  };
  if (frame.encrypted && !key) throw DC09_ERRORS.error('GW_ERR_DC09_KEY_INVALID', 'an ACK to an encrypted message needs its key');
  return encodeFrame(ack, key ? { key, pad } : {});
}

function payloadOf(frame: Dc09Frame): Dc09Payload | string {
  switch (frame.token) {
    case 'SIA-DCS': {
      const sia = parseSiaData(frame.data);
      return typeof sia === 'string' ? sia : { kind: 'sia', sia };
    }
    case 'ADM-CID': {
      const cid = parseContactId(frame.data);
      return typeof cid === 'string' ? cid : { kind: 'cid', cid };
    }
    case 'NULL':
      return { kind: 'null' };
    default:
      return `a receiver does not accept ${frame.token}`;
  }
}

/** Decides the reply to one frame (<LF> … <CR>) received at `nowMs`. */
export function decideReply(raw: Uint8Array, nowMs: number, policy: ReceiverPolicy = {}): Dc09Decision {
  const keys = policy.keys ?? (() => undefined);
  const decoded = decodeFrame(raw, keys);
  if (!decoded.ok) {
    if (decoded.error === 'crc') return { reply: 'none', reason: 'crc', detail: decoded.detail };
    const reason: Dc09RejectReason = decoded.error === 'framing' ? 'junk' : decoded.error;
    return {
      reply: 'duh',
      response: buildDuh(decoded.header),
      reason,
      detail: decoded.detail,
      ...(decoded.header ? { header: decoded.header } : {}),
    };
  }
  const { frame, quirks } = decoded;
  const header: Dc09Header = {
    token: frame.token,
    encrypted: frame.encrypted,
    sequence: frame.sequence,
    account: frame.account,
    ...(frame.receiver !== undefined ? { receiver: frame.receiver } : {}),
    ...(frame.line !== undefined ? { line: frame.line } : {}),
  };
  const duh = (reason: Dc09RejectReason, detail: string): Dc09Decision => ({
    reply: 'duh',
    response: buildDuh(header),
    reason,
    detail,
    header,
  });
  if (frame.token === 'ACK' || frame.token === 'NAK' || frame.token === 'DUH') {
    return duh('unexpected-token', `${frame.token} is a receiver's reply`);
  }
  const key = keys(frame.account);
  if (!frame.encrypted && key && !policy.allowPlaintextWhenKeyed) {
    return duh('encryption-required', `account ${frame.account} has a key but sent plain text`);
  }
  let timestampMs: number | undefined;
  if (frame.timestamp !== undefined) {
    timestampMs = parseDc09Timestamp(frame.timestamp);
    if (timestampMs === undefined) return duh('body', `invalid timestamp ${frame.timestamp}`);
  }
  const nak = (detail: string): Dc09Decision => ({ reply: 'nak', response: buildNak(nowMs), reason: 'timestamp', detail, header });
  // SIA DC-09-2013 5.5.1.8: the timestamp is required in encrypted messages.
  if (frame.encrypted && timestampMs === undefined) return nak('encrypted message without timestamp');
  if (timestampMs !== undefined && (frame.encrypted || policy.checkPlainTimestamps !== false)) {
    const window = policy.window ?? DEFAULT_TIME_WINDOW;
    const verdict = checkTimestamp(timestampMs, nowMs, window);
    if (verdict !== 'ok') {
      return nak(`${verdict}: message ${frame.timestamp}, receiver ${formatDc09Timestamp(nowMs)}`);
    }
  }
  const payload = payloadOf(frame);
  if (typeof payload === 'string') return duh('payload', payload);
  const message: Dc09Message = { frame, payload, quirks, ...(timestampMs !== undefined ? { timestampMs } : {}) };
  return { reply: 'ack', response: buildAck(frame, nowMs, key, policy.pad), message };
}
