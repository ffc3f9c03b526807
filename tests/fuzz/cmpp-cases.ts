/**
 * fast-check arbitraries for CMPP: valid PDUs of both versions (every field within its width,
 * so they must round-trip exactly), and broken frames made from them (truncated, extended,
 * lying about their length, bytes flipped) or from nothing.
 */
import fc from 'fast-check';
import { COMMAND, WIDTHS, type CmppVersion } from '../../adapters/sms-cmpp/cmpp-constants.js';
import type { CmppPdu, DeliverPdu, SubmitPdu } from '../../adapters/sms-cmpp/cmpp-pdu.js';

export const version: fc.Arbitrary<CmppVersion> = fc.constantFrom('2.0', '3.0');
const u8 = fc.integer({ min: 0, max: 255 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
/** Octet strings round-trip when they hold no NUL and no surrounding blanks. */
const ALNUM = fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
const text = (max: number) => fc.string({ unit: ALNUM, maxLength: max });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));

function submit(v: CmppVersion): fc.Arbitrary<SubmitPdu> {
  const w = WIDTHS[v];
  return fc.record({
    command: fc.constant('submit' as const),
    sequenceId: u32,
    msgId: u64,
    pkTotal: u8,
    pkNumber: u8,
    registeredDelivery: u8,
    msgLevel: u8,
    serviceId: text(10),
    feeUserType: u8,
    feeTerminalId: text(w.terminalId),
    feeTerminalType: w.terminalTypes ? u8 : fc.constant(0),
    tpPid: u8,
    tpUdhi: u8,
    msgFmt: u8,
    msgSrc: text(6),
    feeType: text(2),
    feeCode: text(6),
    validTime: text(17),
    atTime: text(17),
    srcId: text(21),
    destTerminalIds: fc.array(text(w.terminalId), { minLength: 1, maxLength: 5 }),
    destTerminalType: w.terminalTypes ? u8 : fc.constant(0),
    msgContent: bytes(255),
    linkId: text(w.trailer),
  });
}

function deliver(v: CmppVersion): fc.Arbitrary<DeliverPdu> {
  const w = WIDTHS[v];
  return fc.record({
    command: fc.constant('deliver' as const),
    sequenceId: u32,
    msgId: u64,
    destId: text(21),
    serviceId: text(10),
    tpPid: u8,
    tpUdhi: u8,
    msgFmt: u8,
    srcTerminalId: text(w.terminalId),
    srcTerminalType: w.terminalTypes ? u8 : fc.constant(0),
    registeredDelivery: u8,
    msgContent: bytes(255),
    linkId: text(w.trailer),
    layout: fc.constant(v),
  });
}

/** A valid PDU of version `v` (what an SP or an ISMG speaking it may send). */
export function pdu(v: CmppVersion): fc.Arbitrary<CmppPdu> {
  const width = WIDTHS[v].result;
  const status = width === 1 ? u8 : u32;
  const seq = u32;
  // Plain objects, as the decoder makes them (fc.record's have no prototype).
  return fc.oneof(
    fc.record({ command: fc.constant('connect' as const), sequenceId: seq, sourceAddr: text(6), authenticatorSource: bytes(16).map((b) => Buffer.concat([b, Buffer.alloc(16 - b.length)])), version: u8, timestamp: u32 }),
    fc.record({ command: fc.constant('connect_resp' as const), sequenceId: seq, status, authenticatorIsmg: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b)), version: u8, statusWidth: fc.constant(width) }),
    submit(v),
    fc.record({ command: fc.constant('submit_resp' as const), sequenceId: seq, msgId: u64, result: status, resultWidth: fc.constant(width) }),
    deliver(v),
    fc.record({ command: fc.constant('deliver_resp' as const), sequenceId: seq, msgId: u64, result: status, resultWidth: fc.constant(width) }),
    fc.record({ command: fc.constantFrom('terminate' as const, 'terminate_resp' as const), sequenceId: seq }),
    fc.record({ command: fc.constant('active_test' as const), sequenceId: seq }),
    fc.record({ command: fc.constant('active_test_resp' as const), sequenceId: seq, reserved: u8 }),
    fc.record({ command: fc.constant('other' as const), sequenceId: seq, commandId: fc.constantFrom(COMMAND.QUERY, COMMAND.CANCEL, COMMAND.CANCEL_RESP, 0x00000009, 0x12345678), body: bytes(64) }),
  ).map((p): CmppPdu => ({ ...p }) as CmppPdu);
}

export type Mutation = { kind: 'truncate'; at: number } | { kind: 'extend'; extra: Buffer } | { kind: 'flip'; at: number; xor: number } | { kind: 'length'; delta: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(400) }),
  fc.record({ kind: fc.constant('extend' as const), extra: bytes(8).filter((b) => b.length > 0) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(400), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('length' as const), delta: fc.integer({ min: -20, max: 20 }).filter((d) => d !== 0) }),
);

/**
 * A broken copy of a frame that still carries a consistent Total_Length (so a stream stays in
 * sync); `length` mutations make the header lie, which a stream cannot survive.
 */
export function mutate(frame: Buffer, m: Mutation): Buffer {
  let out: Buffer;
  switch (m.kind) {
    case 'truncate':
      out = Buffer.from(frame.subarray(0, Math.max(12, Math.min(frame.length - 1, m.at))));
      break;
    case 'extend':
      out = Buffer.concat([frame, m.extra]);
      break;
    case 'flip':
      out = Buffer.from(frame);
      // Never the length field: the frame must stay a frame.
      if (frame.length > 4) {
        const i = 4 + (m.at % (frame.length - 4));
        out[i] = (out[i] as number) ^ m.xor;
      }
      return out;
    case 'length':
      out = Buffer.from(frame);
      out.writeUInt32BE(Math.max(0, frame.length + m.delta), 0);
      return out;
  }
  out.writeUInt32BE(out.length, 0);
  return out;
}
