import { describe, expect, it } from 'vitest';
import {
  decodeCommand,
  decodeEvent,
  decodeHeartbeat,
  decodeStatus,
  encodeCommand,
  encodeEvent,
  heartbeatData,
  type TxCommand,
} from '../../../../adapters/radio/codec.js';

const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

const TX: TxCommand = {
  op: 'tx',
  id: 'bc-42',
  attempt: 2,
  talkgroups: ['tg-sch-01', 'tg-patrol-1'],
  text: '城东区第一中学 一键报警',
  speech: '城东区第一中学，一键报警',
  priority: 'emergency',
  rollCall: true,
  validUntil: 1_790_000_009_000,
  at: 1_790_000_000_000,
};

describe('radio codec: commands (gateway → radio gateway)', () => {
  it('round-trips a tx and a ping', () => {
    expect(decodeCommand(buf(encodeCommand(TX)))).toStrictEqual({ ok: true, value: TX });
    const ping = { op: 'ping', id: 'ping-1', at: 5 } as const;
    expect(decodeCommand(buf(encodeCommand(ping)))).toStrictEqual({ ok: true, value: ping });
  });

  it('refuses a tx without talkgroups, with unknown fields, or of an unknown op, naming the field', () => {
    expect(decodeCommand(buf({ ...TX, talkgroups: [] }))).toStrictEqual({ ok: false, reason: 'schema', detail: '/talkgroups: Expected array length to be greater or equal to 1' });
    expect(decodeCommand(buf({ ...TX, colour: 'red' }))).toMatchObject({ ok: false, reason: 'schema' });
    expect(decodeCommand(buf({ op: 'reboot', id: 'x' }))).toStrictEqual({ ok: false, reason: 'schema', detail: '/op: expected one of tx, ping' });
  });
});

describe('radio codec: events (radio gateway → gateway)', () => {
  it('decodes every event type', () => {
    const events = [
      { type: 'tx-ack', id: 'bc-42', talkgroup: 'tg-sch-01', status: 'ok', at: 7 },
      { type: 'tx-ack', id: 'bc-42', talkgroup: 'tg-sch-01', status: 'ok', dup: true },
      { type: 'tx-ack', id: 'bc-42', talkgroup: 'tg-x', status: 'failed', reason: 'unknown-talkgroup' },
      { type: 'pong', id: 'ping-1' },
      { type: 'rollcall-ack', id: 'bc-42', unit: 'patrol-07', talkgroup: 'tg-patrol-1', seq: 3 },
      { type: 'emergency-call', talkgroup: 'tg-sch-01', unit: 'sch-01-hs-1', callId: 'c-9', at: 9, seq: 4 },
      { type: 'emergency-cancel', talkgroup: 'tg-sch-01', unit: 'sch-01-hs-1' },
      { type: 'fault', code: 'PA-OVERHEAT', detail: 'power amplifier 85 °C' },
      { type: 'fault-cleared', code: 12 },
    ];
    for (const e of events) expect(decodeEvent(buf(e))).toStrictEqual({ ok: true, value: e });
  });

  it('round-trips through encodeEvent', () => {
    const e = { type: 'emergency-call', talkgroup: 'tg-sch-02', unit: 'hs-2', siteId: 'sch-02' } as const;
    expect(decodeEvent(buf(encodeEvent(e)))).toStrictEqual({ ok: true, value: e });
  });

  it('refuses bad payloads with a reason and the failing path', () => {
    expect(decodeEvent(buf('{"type":'))).toMatchObject({ ok: false, reason: 'not-json' });
    expect(decodeEvent(buf('[1]'))).toStrictEqual({ ok: false, reason: 'schema', detail: '/type: expected one of tx-ack, pong, rollcall-ack, emergency-call, emergency-cancel, fault, fault-cleared' });
    expect(decodeEvent(buf({ type: 'tx-ack', id: 'a', talkgroup: 'tg', status: 'maybe' }))).toMatchObject({ ok: false, reason: 'schema', detail: expect.stringMatching(/^\/status: /u) as unknown });
    expect(decodeEvent(buf({ type: 'emergency-call', talkgroup: 'tg' }))).toMatchObject({ ok: false, reason: 'schema', detail: expect.stringMatching(/^\/unit: /u) as unknown });
    expect(decodeEvent(Buffer.alloc(100, 0x20), 64)).toStrictEqual({ ok: false, reason: 'too-large', detail: '100 bytes > 64' });
  });
});

describe('radio codec: heartbeat and status', () => {
  it('keeps extra scalar readings as telemetry data, without at and seq', () => {
    const d = decodeHeartbeat(buf({ at: 1, seq: 2, radio: 'down', uptimeS: 30, queue: 0, site: 'x', ok: true }));
    expect(d).toStrictEqual({ ok: true, value: { at: 1, seq: 2, radio: 'down', uptimeS: 30, queue: 0, site: 'x', ok: true } });
    expect(d.ok && heartbeatData(d.value)).toStrictEqual({ radio: 'down', uptimeS: 30, queue: 0, site: 'x', ok: true });
  });

  it('refuses nested values and a bad radio state', () => {
    expect(decodeHeartbeat(buf({ nested: { a: 1 } }))).toMatchObject({ ok: false, reason: 'schema' });
    expect(decodeHeartbeat(buf({ radio: 'sideways' }))).toMatchObject({ ok: false, reason: 'schema' });
  });

  it('reads online/offline plain or as JSON', () => {
    expect(decodeStatus(buf('online'))).toStrictEqual({ ok: true, value: 'online' });
    expect(decodeStatus(buf('{"status":"offline"}'))).toStrictEqual({ ok: true, value: 'offline' });
    expect(decodeStatus(buf('sleeping'))).toStrictEqual({ ok: false, reason: 'bad-status', detail: 'status must be online or offline' });
    expect(decodeStatus(buf('{oops'))).toMatchObject({ ok: false, reason: 'not-json' });
    // A discriminant naming an Object.prototype member is refused, not looked up there (found by tests/fuzz).
    for (const type of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(decodeEvent(buf(`{"type":"${type}","id":"x"}`))).toMatchObject({ ok: false, reason: 'schema', detail: expect.stringMatching(/^\/type: expected one of /u) as unknown });
      expect(decodeCommand(buf(`{"op":"${type}","id":"x"}`))).toMatchObject({ ok: false, reason: 'schema', detail: '/op: expected one of tx, ping' });
    }
    // Bounded like every other leaf: a megabyte "status" is refused before it is read.
    expect(decodeStatus(Buffer.alloc(1 << 20, 0x20))).toStrictEqual({ ok: false, reason: 'too-large', detail: '1048576 bytes > 16384' });
    expect(decodeStatus(buf(`{"status":${'['.repeat(40)}`))).toStrictEqual({ ok: false, reason: 'too-deep', detail: 'JSON nested deeper than 16 levels' });
    expect(decodeEvent(buf('{"type":"pong","id":"p","at":9223372036855}'))).toMatchObject({ ok: false, reason: 'schema', detail: expect.stringMatching(/^\/at: /u) as unknown });
  });
});
