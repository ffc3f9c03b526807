/**
 * The transmitter's (PE's) side, pure: build the frame for an account's event and interpret
 * the receiver's reply (SIA DC-09-2013 5.5.1, 5.5.3). Sequence numbers belong to the caller
 * (dc09-time.ts `nextSequence`): a retry repeats its number, a new message takes the next.
 */
import { formatContactId, type ContactIdEventCode, type ContactIdQualifier } from './contact-id.js';
import type { PadSource } from './dc09-crypto.js';
import {
  decodeFrame,
  encodeFrame,
  type Dc09DecodeError,
  type Dc09ExtendedData,
  type Dc09Frame,
} from './dc09-frame.js';
import { formatDc09Timestamp, parseDc09Timestamp } from './dc09-time.js';
import { formatSiaData, type SiaCode } from './sia-codes.js';

export type Dc09EventSpec =
  | { protocol: 'sia'; code: SiaCode; zone?: string; area?: string }
  | { protocol: 'cid'; qualifier: ContactIdQualifier; code: ContactIdEventCode; partition: number; zone: number }
  | { protocol: 'null' };

export interface BuildMessageOptions {
  /** 3..16 upper-case hex digits. */
  account: string;
  /** 1..9999, managed by the caller. */
  sequence: number;
  event: Dc09EventSpec;
  /** When given, the frame is encrypted (`*` token, pad, mandatory timestamp). */
  key?: Uint8Array;
  /** Receiver number (hex digits after `R`); omitted when undefined. */
  receiver?: string;
  /** Account prefix (hex digits after `L`); DC-09 requires one, default '0'. */
  line?: string;
  nowMs: number;
  extended?: Dc09ExtendedData[];
  /** Add `_timestamp` to plain frames too (always added when encrypted). Default true. */
  timestamp?: boolean;
  pad?: PadSource;
}

function dataFor(event: Dc09EventSpec, account: string): { token: Dc09Frame['token']; data: string } {
  switch (event.protocol) {
    case 'sia':
      return {
        token: 'SIA-DCS',
        data: formatSiaData({
          code: event.code,
          account,
          ...(event.zone !== undefined ? { address: event.zone } : {}),
          ...(event.area !== undefined ? { area: event.area } : {}),
        }),
      };
    case 'cid':
      return {
        token: 'ADM-CID',
        data: formatContactId({
          account,
          qualifier: event.qualifier,
          code: event.code,
          partition: event.partition,
          zoneOrUser: event.zone,
        }),
      };
    case 'null':
      // SIA DC-09-2013 5.5.2.1: the link test carries empty data `[]`.
      return { token: 'NULL', data: '' };
  }
}

/** Builds the frame and its bytes for one event. */
export function buildMessage(opts: BuildMessageOptions): { frame: Dc09Frame; bytes: Buffer } {
  const { token, data } = dataFor(opts.event, opts.account);
  const stamp = opts.key !== undefined || opts.timestamp !== false;
  const frame: Dc09Frame = {
    token,
    encrypted: opts.key !== undefined,
    sequence: opts.sequence,
    ...(opts.receiver !== undefined ? { receiver: opts.receiver } : {}),
    line: opts.line ?? '0',
    account: opts.account,
    data,
    extended: opts.extended ?? [],
    ...(stamp ? { timestamp: formatDc09Timestamp(opts.nowMs) } : {}),
  };
  const bytes = encodeFrame(frame, {
    ...(opts.key !== undefined ? { key: opts.key } : {}),
    ...(opts.pad !== undefined ? { pad: opts.pad } : {}),
  });
  return { frame, bytes };
}

export type ReplyKind = 'ack' | 'nak' | 'duh';

export type ParsedReply =
  | { ok: true; reply: ReplyKind; frame: Dc09Frame; receiverTimeMs?: number }
  | { ok: false; error: Dc09DecodeError | 'not-a-reply' | 'mismatch' | 'unencrypted-ack'; detail: string };

export interface ReplyExpectation {
  sequence: number;
  account: string;
  /** The key the message was sent with; an ACK must then come back encrypted (5.5.3.1). */
  key?: Uint8Array;
}

/**
 * Interprets a reply frame. ACK and DUH must echo the message's sequence and account;
 * a NAK names neither (5.5.3.2: `0000…A0`) and answers whatever was last sent, as does a DUH
 * with those placeholders (the receiver could not read the header).
 */
export function parseReply(raw: Uint8Array, expect: ReplyExpectation): ParsedReply {
  const decoded = decodeFrame(raw, () => expect.key);
  if (!decoded.ok) return { ok: false, error: decoded.error, detail: decoded.detail };
  const { frame } = decoded;
  const reply: ReplyKind | undefined =
    frame.token === 'ACK' ? 'ack' : frame.token === 'NAK' ? 'nak' : frame.token === 'DUH' ? 'duh' : undefined;
  if (!reply) return { ok: false, error: 'not-a-reply', detail: `token ${frame.token}` };
  // A DUH to a frame whose header could not be read carries the NAK's placeholders.
  const anonymous = reply === 'nak' || (reply === 'duh' && frame.sequence === 0 && frame.account === '0');
  if (!anonymous && (frame.sequence !== expect.sequence || frame.account !== expect.account.toUpperCase())) {
    return {
      ok: false,
      error: 'mismatch',
      detail: `reply for ${frame.account}/${frame.sequence}, expected ${expect.account}/${expect.sequence}`,
    };
  }
  if (reply === 'ack' && expect.key !== undefined && !frame.encrypted) {
    return { ok: false, error: 'unencrypted-ack', detail: 'an encrypted message must be acknowledged by *ACK' };
  }
  const receiverTimeMs = frame.timestamp !== undefined ? parseDc09Timestamp(frame.timestamp) : undefined;
  return { ok: true, reply, frame, ...(receiverTimeMs !== undefined ? { receiverTimeMs } : {}) };
}
