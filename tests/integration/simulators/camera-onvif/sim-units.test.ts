/** Pure parts of the camera simulator: SOAP parsing, WS-Security, Digest, JPEG and RTP framing. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestAuthenticator, parseAuthParams } from '../../../../simulators/camera-onvif/digest-auth.js';
import { startsDecodableUnit } from '../../../../simulators/camera-onvif/rtsp-server.js';
import { checkUsernameToken, elementText, parseDuration, soapAction } from '../../../../simulators/camera-onvif/soap.js';
import { splitJpegs } from '../../../../simulators/camera-onvif/video-feeds.js';

const creds = { username: 'admin', password: 'secret' };

function token(password: string, created: string, nonce = Buffer.from('0123456789abcdef')): string {
  const digest = createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created), Buffer.from(password)])).digest('base64');
  return (
    `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><Security><UsernameToken><Username>admin</Username>` +
    `<Password Type="...#PasswordDigest">${digest}</Password><Nonce EncodingType="...">${nonce.toString('base64')}</Nonce>` +
    `<Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">${created}</Created>` +
    `</UsernameToken></Security></s:Header><s:Body><trt:GetProfiles xmlns:trt="x"/></s:Body></s:Envelope>`
  );
}

describe('SOAP helpers', () => {
  it('finds the operation and element texts whatever the prefixes', () => {
    const xml = token('secret', '2026-11-23T01:00:00.000Z');
    expect([soapAction(xml), elementText(xml, 'Username'), elementText(xml, 'Missing')]).toStrictEqual(['GetProfiles', 'admin', undefined]);
    expect(soapAction('<Envelope><Body>\n  <GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></Body></Envelope>')).toBe('GetSystemDateAndTime');
  });

  it('reads ISO 8601 durations', () => {
    expect(['PT1M', 'PT10S', 'PT1M30.5S', 'P1DT1H', 'bogus', undefined].map(parseDuration)).toStrictEqual([60_000, 10_000, 90_500, 90_000_000, undefined, undefined]);
  });

  it('checks a WS-Security UsernameToken digest and its age against the device clock', () => {
    const created = '2026-11-23T01:00:00.000Z';
    const now = Date.parse(created);
    const window = 300_000;
    expect([
      checkUsernameToken(token('secret', created), creds, now + 1000, window),
      checkUsernameToken(token('wrong', created), creds, now, window),
      checkUsernameToken(token('secret', created), creds, now + 301_000, window),
      checkUsernameToken('<Envelope><Body><GetProfiles/></Body></Envelope>', creds, now, window),
    ]).toStrictEqual(['ok', 'bad-digest', 'stale', 'missing']);
  });
});

describe('Digest authentication (RFC 2617)', () => {
  function answer(challenge: string, method: string, uri: string, password: string, qop?: { nc: string; cnonce: string }): string {
    const p = parseAuthParams(challenge);
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ha1 = md5(`admin:${p.get('realm')}:${password}`);
    const ha2 = md5(`${method}:${uri}`);
    const response = qop ? md5(`${ha1}:${p.get('nonce')}:${qop.nc}:${qop.cnonce}:auth:${ha2}`) : md5(`${ha1}:${p.get('nonce')}:${ha2}`);
    const extra = qop ? `, qop=auth, nc=${qop.nc}, cnonce="${qop.cnonce}"` : '';
    return `Digest username="admin", realm="${p.get('realm')}", nonce="${p.get('nonce')}", uri="${uri}", response="${response}"${extra}`;
  }

  it('accepts the right password, with and without qop, and refuses the rest', () => {
    const auth = new DigestAuthenticator('cam');
    const ch = auth.challenge();
    expect([
      auth.verify(answer(ch, 'DESCRIBE', 'rtsp://h/s', 'secret'), 'DESCRIBE', creds),
      auth.verify(answer(ch, 'GET', '/snapshot.jpg', 'secret', { nc: '00000001', cnonce: 'abc' }), 'GET', creds),
      auth.verify(answer(ch, 'DESCRIBE', 'rtsp://h/s', 'wrong'), 'DESCRIBE', creds),
      auth.verify(answer(ch, 'DESCRIBE', 'rtsp://h/s', 'secret'), 'PLAY', creds),
      auth.verify(answer(new DigestAuthenticator('cam').challenge(), 'GET', '/', 'secret'), 'GET', creds),
      auth.verify(undefined, 'GET', creds),
      auth.verify('Basic YWRtaW46c2VjcmV0', 'GET', creds),
    ]).toStrictEqual([true, true, false, false, false, false, false]);
  });
});

describe('framing', () => {
  const jpeg = (fill: number) => Buffer.from([0xff, 0xd8, 0xff, 0xdb, 0x00, 0x04, fill, fill, 0xff, 0xda, 0x00, 0x02, fill, 0xff, 0x00, 0x11, 0xff, 0xd9]);

  it('splits concatenated JPEGs and keeps an incomplete tail', () => {
    const stream = Buffer.concat([jpeg(1), jpeg(2), jpeg(3).subarray(0, 10)]);
    const { images, rest } = splitJpegs(stream);
    expect([images, rest]).toStrictEqual([[jpeg(1), jpeg(2)], jpeg(3).subarray(0, 10)]);
    expect(splitJpegs(Buffer.concat([rest, jpeg(3).subarray(10)])).images).toStrictEqual([jpeg(3)]);
  });

  it('knows where an H.264 RTP stream can be joined (RFC 6184)', () => {
    const rtp = (...payload: number[]) => Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, ...payload]);
    expect([
      startsDecodableUnit(rtp(0x67, 0x42)), // SPS
      startsDecodableUnit(rtp(0x65, 0x88)), // IDR slice
      startsDecodableUnit(rtp(0x7c, 0x85, 0x00)), // FU-A start of IDR
      startsDecodableUnit(rtp(0x7c, 0x05, 0x00)), // FU-A continuation
      startsDecodableUnit(rtp(0x78, 0x00, 0x05, 0x67)), // STAP-A beginning with SPS
      startsDecodableUnit(rtp(0x41, 0x9a)), // P slice
    ]).toStrictEqual([true, true, true, false, true, false]);
  });
});
