/** GB/T 28181 ids, MANSCDP bodies (charsets included), local times, alarm mapping, RTP framing. */
import { describe, expect, it } from 'vitest';
import { mapAlarm } from '../../../../adapters/camera-gb28181/alarms.js';
import { gbRole, isGbId, parseGbId } from '../../../../adapters/camera-gb28181/gb-id.js';
import { formatLocalTime, parseLocalTime } from '../../../../adapters/camera-gb28181/local-time.js';
import { parseManscdp, queryBody } from '../../../../adapters/camera-gb28181/manscdp.js';
import { buildRtp, frame4571, parseRtp, Rfc4571Framer } from '../../../../adapters/camera-gb28181/rtp.js';
import { buildOffer, parseSdp } from '../../../../adapters/camera-gb28181/sdp.js';
import { isGatewayError } from '../../../../gateway/contract/errors.js';

describe('GB/T 28181 ids (Annex D)', () => {
  it('parses the 8 + 2 + 3 + 7 digits and tells recorders, cameras and platforms apart', () => {
    expect(parseGbId('34020000001180006000')).toStrictEqual({ id: '34020000001180006000', centre: '34020000', industry: '00', type: 118, serial: '0006000', domain: '3402000000' });
    expect(['34020000001110000001', '34020000001180000001', '34020000001310000001', '34020000001320000001', '34020000001340000001', '34020000002000000001', '34020000002150000001'].map(gbRole)).toStrictEqual(['recorder', 'recorder', 'camera', 'camera', 'alarm', 'platform', 'platform']);
    expect(['3402000000118000600', '340200000011800060001', '3402000000118000600a', ''].map(isGbId)).toStrictEqual([false, false, false, false]);
    expect(isGatewayError((() => { try { parseGbId('12'); } catch (e) { return e; } })(), 'GW_ERR_GB_ID_INVALID')).toBe(true);
  });
});

describe('MANSCDP bodies (Annex A)', () => {
  it('reads a catalog answer declared GB2312 with Chinese names (decoded as GB18030)', () => {
    // "校门" in GB2312 is D0 A3 C3 C5.
    const head = Buffer.from('<?xml version="1.0" encoding="GB2312"?><Response><CmdType>Catalog</CmdType><SN>7</SN><DeviceID>34020000001180006000</DeviceID><SumNum>1</SumNum><DeviceList Num="1"><Item><DeviceID>34020000001310006001</DeviceID><Name>', 'latin1');
    const tail = Buffer.from('</Name><ParentID>34020000001180006000</ParentID><Status>on</Status></Item></DeviceList></Response>', 'latin1');
    expect(parseManscdp(Buffer.concat([head, Buffer.from([0xd0, 0xa3, 0xc3, 0xc5]), tail]))).toStrictEqual({
      root: 'Response',
      cmd: 'Catalog',
      sn: '7',
      deviceId: '34020000001180006000',
      sumNum: 1,
      items: [{ deviceId: '34020000001310006001', name: '校门', parentId: '34020000001180006000', status: 'ON' }],
    });
  });

  it('reads alarms, device info and status; refuses DTDs, unclosed and foreign documents', () => {
    expect(parseManscdp(Buffer.from('<?xml version="1.0"?><Notify><CmdType>Alarm</CmdType><SN>9</SN><DeviceID>34020000001310000001</DeviceID><AlarmPriority>1</AlarmPriority><AlarmMethod>5</AlarmMethod><AlarmTime>2023-08-09T07:38:35</AlarmTime><AlarmDescription>&#35270;&#39057;</AlarmDescription><AlarmInfo>11</AlarmInfo><Info><AlarmType>2</AlarmType><AlarmTypeParam><EventType>1</EventType></AlarmTypeParam></Info></Notify>'))).toStrictEqual({
      root: 'Notify', cmd: 'Alarm', sn: '9', deviceId: '34020000001310000001', priority: 1, method: 5, time: '2023-08-09T07:38:35', description: '视频', alarmType: 2, eventType: 1,
    });
    const bad = (x: string) => { try { parseManscdp(Buffer.from(x)); return 'parsed'; } catch (e) { return isGatewayError(e, 'GW_ERR_GB_XML_MALFORMED') ? 'refused' : String(e); } };
    expect([bad('<!DOCTYPE x [<!ENTITY a "b">]><Notify/>'), bad('<Notify><CmdType>Keepalive</CmdType>'), bad('<Notify><SN>1</SN></Notify>'), bad('<a></b>'), bad('text')]).toStrictEqual(['refused', 'refused', 'refused', 'refused', 'refused']);
    expect(parseManscdp(queryBody('DeviceStatus', 12, '34020000001310006001'))).toStrictEqual({ root: 'Query', cmd: 'other', cmdType: 'DeviceStatus', sn: '12', deviceId: '34020000001310006001' });
  });
});

describe('local times of GB messages (§9.10.1)', () => {
  it('reads and writes wall-clock times of the site time zone', () => {
    const at = Date.UTC(2026, 11, 5, 1, 2, 3, 456);
    expect(formatLocalTime(at, 'Asia/Shanghai')).toBe('2026-12-05T09:02:03.456');
    expect([parseLocalTime('2026-12-05T09:02:03.456', 'Asia/Shanghai'), parseLocalTime('2026-12-05 09:02:03', 'Asia/Shanghai'), parseLocalTime('Sat, 05 Dec 2026', 'Asia/Shanghai')]).toStrictEqual([at, at - 456, undefined]);
  });
});

describe('alarm mapping (§9.4, A.2.5.3)', () => {
  it('maps methods and types to the vocabulary, and leaves phone and GPS alarms unmapped', () => {
    const t = (method: number, alarmType?: number) => mapAlarm({ method, ...(alarmType !== undefined ? { alarmType } : {}) })?.type;
    expect([t(2, 1), t(2, 2), t(2, 3), t(5, 2), t(5, 5), t(5, 6), t(5, 11), t(6, 1), t(1), t(4)]).toStrictEqual(['video-loss', 'tamper', 'fault', 'motion', 'intrusion', 'intrusion', 'tamper', 'fault', undefined, undefined]);
  });
});

describe('RTP and SDP for PS live view', () => {
  it('builds and parses RTP, with RFC 4571 framing over TCP', () => {
    const p = buildRtp({ payloadType: 96, marker: true, sequence: 65535, timestamp: 90_000, ssrc: 100000001 }, Buffer.from('PS bytes'));
    expect(parseRtp(p)).toStrictEqual({ payloadType: 96, marker: true, sequence: 65535, timestamp: 90_000, ssrc: 100000001, payload: Buffer.from('PS bytes') });
    expect([parseRtp(Buffer.alloc(11)), parseRtp(Buffer.alloc(12))]).toStrictEqual([undefined, undefined]);
    const stream = Buffer.concat([frame4571(p), frame4571(p)]);
    const framer = new Rfc4571Framer();
    expect([...framer.push(stream.subarray(0, 5)), ...framer.push(stream.subarray(5))]).toStrictEqual([p, p]);
  });

  it('offers to receive PS/90000 over UDP or TCP (passive), and reads the offer back', () => {
    const offer = buildOffer({ platformId: '34020000002000000001', channelId: '34020000001310006001', ip: '127.0.0.1', port: 30000, transport: 'tcp', ssrc: '0020001234' }).toString();
    expect(parseSdp(offer)).toStrictEqual({ session: 'Play', ip: '127.0.0.1', port: 30000, proto: 'TCP/RTP/AVP', payloadTypes: [96], rtpmap: { 96: 'PS/90000' }, direction: 'recvonly', setup: 'passive', ssrc: '0020001234' });
  });
});
