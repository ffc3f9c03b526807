/**
 * The SIP codec against messages of GB/T 28181 devices and platforms as their captures were
 * published (fixtures.ts): byte-exact framing by Content-Length, headers as sent, round trips,
 * the same messages out of a TCP stream however it is cut, and what it refuses.
 */
import { describe, expect, it } from 'vitest';
import { credentialsOf, digestResponse, parseDigest, NonceBook, sameDigest, authorizationHeader } from '../../../../adapters/camera-gb28181/digest.js';
import { isGatewayError } from '../../../../gateway/contract/errors.js';
import { parseManscdp } from '../../../../adapters/camera-gb28181/manscdp.js';
import { parseSdp } from '../../../../adapters/camera-gb28181/sdp.js';
import { SipStreamFramer } from '../../../../adapters/camera-gb28181/sip-framer.js';
import { parseCSeq, parseNameAddr, parseVia } from '../../../../adapters/camera-gb28181/sip-headers.js';
import { header, headerValues, parseSipDatagram, serializeSip, type SipMessage } from '../../../../adapters/camera-gb28181/sip-message.js';
import { ALL_FIXTURES, CAMERA_INVITE_200, EASYGBS_INVITE, FLYLAB_CATALOG_QUERY, LIVEGBS_401, LIVEGBS_KEEPALIVE, LIVEGBS_REGISTER, LIVEGBS_REGISTER_AUTH } from './fixtures.js';

const summary = (m: SipMessage) => (m.kind === 'request' ? [m.method, m.uri] : [m.status, m.reason]);

describe('SIP codec on published GB/T 28181 captures', () => {
  it('reads the LiveGBS registration: start lines, headers in any order, their fields', () => {
    const reg = parseSipDatagram(LIVEGBS_REGISTER);
    expect(summary(reg)).toStrictEqual(['REGISTER', 'sip:34020000002000000001@3402000000']);
    expect(parseNameAddr(header(reg, 'From') ?? '')).toStrictEqual({ uri: 'sip:34020000001320000264@3402000000', user: '34020000001320000264', host: '3402000000', params: { tag: '180588994' } });
    expect(parseVia(header(reg, 'via') ?? '')).toStrictEqual({ transport: 'UDP', host: '192.168.2.64', port: 5060, params: { rport: '5060', received: '192.168.2.64', branch: 'z9hG4bK1235305492' } });
    expect([header(reg, 'EXPIRES'), parseCSeq(header(reg, 'cseq') ?? ''), reg.body.length]).toStrictEqual(['3600', { seq: 1, method: 'REGISTER' }, 0]);
    const challenge = parseSipDatagram(LIVEGBS_401);
    expect(summary(challenge)).toStrictEqual([401, 'Unauthorized']);
    expect(parseDigest(header(challenge, 'www-authenticate') ?? '')).toStrictEqual({ realm: '3402000000', qop: 'auth', nonce: '6eb1340d99c404a0e4d3b68d15d1d46f' });
  });

  it("verifies the camera's digest response (RFC 2617, qop=auth) with LiveGBS's default password, and nothing else", () => {
    const m = parseSipDatagram(LIVEGBS_REGISTER_AUTH);
    const creds = credentialsOf(parseDigest(header(m, 'Authorization') ?? '') ?? {});
    if (!creds) throw new Error('no credentials');
    expect(creds).toStrictEqual({ username: '34020000001320000264', realm: '3402000000', nonce: '6eb1340d99c404a0e4d3b68d15d1d46f', uri: 'sip:34020000002000000001@3402000000', response: '4c97657aa0412c25d4b862219b635c17', algorithm: 'MD5', qop: 'auth', nc: '00000001', cnonce: '0a4f113b' });
    expect(sameDigest(digestResponse(creds, 'REGISTER', '12345678'), creds.response)).toBe(true);
    expect(sameDigest(digestResponse(creds, 'REGISTER', '12345679'), creds.response)).toBe(false);
    // Our client side computes the same answer to the same challenge.
    const ours = authorizationHeader({ realm: '3402000000', qop: 'auth', nonce: '6eb1340d99c404a0e4d3b68d15d1d46f' }, { username: creds.username, password: '12345678', method: 'REGISTER', uri: creds.uri, cnonce: '0a4f113b' });
    expect(parseDigest(ours)?.response).toBe('4c97657aa0412c25d4b862219b635c17');
  });

  it('frames bodies by Content-Length exactly: an LF body (LiveGBS keepalive, FlyLab query with LF headers too)', () => {
    const keepalive = parseSipDatagram(LIVEGBS_KEEPALIVE);
    expect([summary(keepalive), keepalive.body.length, header(keepalive, 'content-type')]).toStrictEqual([['MESSAGE', 'sip:34020000002000000001@3402000000'], 178, 'Application/MANSCDP+xml']);
    expect(parseManscdp(keepalive.body)).toStrictEqual({ root: 'Notify', cmd: 'Keepalive', sn: '1563', deviceId: '34020000001320000264', status: 'OK' });
    const query = parseSipDatagram(FLYLAB_CATALOG_QUERY);
    expect([summary(query), query.body.length, header(query, 'call-id'), headerValues(query, 'via').length]).toStrictEqual([['MESSAGE', 'sip:34020000001320000001@192.168.28.110:5060'], 123, '124957127', 1]);
    expect(parseManscdp(query.body)).toStrictEqual({ root: 'Query', cmd: 'other', cmdType: 'Catalog', sn: '10809', deviceId: '34020000001320000001' });
  });

  it('reads INVITE and 200 OK SDP: PS/90000 on payload type 96, the ports, y= SSRC', () => {
    const invite = parseSipDatagram(EASYGBS_INVITE);
    expect([summary(invite), invite.body.length, header(invite, 'subject')]).toStrictEqual([['INVITE', 'sip:11011201001310019394@1101120100'], 270, '11011201001310019394:1-4-1515477228061,11010000002000000003:1']);
    expect(parseNameAddr(header(invite, 'contact') ?? '')).toStrictEqual({ uri: 'sip:11.254.2.50:5060', host: '11.254.2.50', port: 5060, params: {} });
    expect(parseSdp(invite.body.toString())).toStrictEqual({ session: 'Download', ip: '11.254.2.50', port: 9910, proto: 'RTP/AVP', payloadTypes: [96, 98, 97], rtpmap: { 96: 'PS/90000', 97: 'MPEG4/90000', 98: 'H264/90000' }, direction: 'recvonly' });
    const ok = parseSipDatagram(CAMERA_INVITE_200);
    expect([summary(ok), ok.body.length]).toStrictEqual([[200, 'OK'], 226]);
    expect(parseSdp(ok.body.toString())).toStrictEqual({ session: 'Play', ip: '192.168.0.111', port: 9712, proto: 'RTP/AVP', payloadTypes: [96], rtpmap: { 96: 'PS/90000' }, direction: 'sendonly', ssrc: '0100000001' });
  });

  it('round-trips every capture: serialised with CRLF and its Content-Length, it parses to the same message', () => {
    for (const [name, bytes] of Object.entries(ALL_FIXTURES)) {
      const m = parseSipDatagram(bytes);
      const again = parseSipDatagram(serializeSip(m));
      const strip = (x: SipMessage) => ({ ...x, headers: x.headers.filter((h) => h.name.toLowerCase() !== 'content-length') });
      expect(strip(again), name).toStrictEqual(strip(m));
    }
  });

  it('splits a TCP stream of every capture, with CRLF keep-alive pings between them, however it is cut', () => {
    const parts = Object.values(ALL_FIXTURES);
    const stream = Buffer.concat(parts.flatMap((p) => [p, Buffer.from('\r\n\r\n')]));
    const expected = parts.map((p) => parseSipDatagram(p));
    for (const size of [1, 2, 7, 64, 500, stream.length]) {
      const framer = new SipStreamFramer();
      const got: SipMessage[] = [];
      for (let i = 0; i < stream.length; i += size) got.push(...framer.push(stream.subarray(i, i + size)));
      expect(got, `chunks of ${size}`).toStrictEqual(expected);
      expect(framer.pending).toBe(0);
    }
  });

  it('refuses what it cannot frame or read, with its code', () => {
    const refused = (b: string | Buffer) => {
      try {
        parseSipDatagram(Buffer.isBuffer(b) ? b : Buffer.from(b));
        return 'parsed';
      } catch (err) {
        return isGatewayError(err, 'GW_ERR_GB_SIP_MALFORMED') ? 'refused' : `other: ${String(err)}`;
      }
    };
    expect([
      refused('HELLO\r\n\r\n'),
      refused('REGISTER sip:a@b SIP/3.0\r\n\r\n'),
      refused('SIP/2.0 999 Nine\r\n\r\n'),
      refused('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nshort'),
      refused('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: ten\r\n\r\n'),
      refused('MESSAGE sip:a@b SIP/2.0\r\nBad Header\r\n\r\n'),
      refused(Buffer.alloc(70_000, 0x41)),
    ]).toStrictEqual(['refused', 'refused', 'refused', 'refused', 'refused', 'refused', 'refused']);
    const stream = new SipStreamFramer();
    expect(() => stream.push(Buffer.from('MESSAGE sip:a@b SIP/2.0\r\nVia: x\r\n\r\n'))).toThrow(/no Content-Length on a stream transport/);
  });

  it('reads folded, compact and padded headers (RFC 3261 §7.3)', () => {
    const m = parseSipDatagram(Buffer.from('MESSAGE sip:a@b SIP/2.0\r\nv: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKx\r\nf: <sip:1@b>;tag=1\r\nSubject: first\r\n  second\r\nl:   5\r\n\r\nhello'));
    expect([header(m, 'via'), header(m, 'from'), header(m, 'subject'), m.body.toString()]).toStrictEqual(['SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKx', '<sip:1@b>;tag=1', 'first second', 'hello']);
  });
});

describe('registrar nonces', () => {
  it('accepts its own fresh nonces, calls old ones stale and forged ones bad', () => {
    const book = new NonceBook(1000);
    const n = book.issue(5000);
    expect([book.check(n, 5500), book.check(n, 7000), book.check(n.replace(/.$/, (c) => (c === '0' ? '1' : '0')), 5500), book.check('6eb1340d99c404a0e4d3b68d15d1d46f', 5500)]).toStrictEqual(['ok', 'stale', 'bad', 'bad']);
    expect(new NonceBook(1000).check(n, 5500)).toBe('bad');
  });
});
