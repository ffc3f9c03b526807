/**
 * SIP messages of GB/T 28181 devices and platforms as published with their captures. Each
 * fixture names its source. Published text lost its line ends in most places: where a capture
 * gives a Content-Length, the fixture's body bytes were chosen so that it matches exactly (which
 * tells CRLF from LF in the body); headers of those captures are CRLF as RFC 3261 §7 requires,
 * except the FlyLab script, whose record file is the exact bytes it sent (bare LF throughout).
 */
const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

/**
 * LiveGBS (livegbs/GB28181-Server) registration capture, "大华海康等摄像头、录像机通过GB28181注册
 * LiveGBS国标流媒体实现网页直播的注册流程解析" (chinasem.cn/article/666847): an IP camera
 * registers, the server challenges, the camera answers with digest credentials. LiveGBS's
 * default access password is 12345678 (same article): the response below verifies with it.
 */
export const LIVEGBS_REGISTER = crlf([
  'REGISTER sip:34020000002000000001@3402000000 SIP/2.0',
  'Via: SIP/2.0/UDP 192.168.2.64:5060;rport=5060;received=192.168.2.64;branch=z9hG4bK1235305492',
  'From: <sip:34020000001320000264@3402000000>;tag=180588994',
  'To: <sip:34020000001320000264@3402000000>',
  'Call-ID: 575393982',
  'CSeq: 1 REGISTER',
  'Contact: <sip:34020000001320000264@192.168.2.64:5060>',
  'Max-Forwards: 70',
  'User-Agent: IP Camera',
  'Expires: 3600',
  'Content-Length: 0',
  '',
  '',
]);

export const LIVEGBS_401 = crlf([
  'SIP/2.0 401 Unauthorized',
  'Via: SIP/2.0/UDP 192.168.2.64:5060;rport=5060;received=192.168.2.64;branch=z9hG4bK1235305492',
  'From: <sip:34020000001320000264@3402000000>;tag=180588994',
  'To: <sip:34020000001320000264@3402000000>;tag=776284809',
  'CSeq: 1 REGISTER',
  'Call-ID: 575393982',
  'User-Agent: LiveQing',
  'Contact: <sip:34020000002000000001@192.168.2.135:5060>',
  'Content-Length: 0',
  'WWW-Authenticate: Digest realm="3402000000",qop="auth",nonce="6eb1340d99c404a0e4d3b68d15d1d46f"',
  '',
  '',
]);

export const LIVEGBS_REGISTER_AUTH = crlf([
  'REGISTER sip:34020000002000000001@3402000000 SIP/2.0',
  'Via: SIP/2.0/UDP 192.168.2.64:5060;rport=5060;received=192.168.2.64;branch=z9hG4bK173969927',
  'From: <sip:34020000001320000264@3402000000>;tag=180588994',
  'To: <sip:34020000001320000264@3402000000>',
  'Call-ID: 575393982',
  'CSeq: 2 REGISTER',
  'Contact: <sip:34020000001320000264@192.168.2.64:5060>',
  'Authorization: Digest username="34020000001320000264", realm="3402000000", nonce="6eb1340d99c404a0e4d3b68d15d1d46f", uri="sip:34020000002000000001@3402000000", response="4c97657aa0412c25d4b862219b635c17", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001',
  'Max-Forwards: 70',
  'User-Agent: IP Camera',
  'Expires: 3600',
  'Content-Length: 0',
  '',
  '',
]);

/**
 * The same camera's keepalive to LiveGBS, "GB28181国标流媒体服务中设备端心跳信令示例"
 * (blog.csdn.net/zuiyijiangnan/article/details/104301500): Content-Length 178 is the body with
 * LF line ends and a final LF.
 */
export const LIVEGBS_KEEPALIVE = Buffer.concat([
  crlf([
    'MESSAGE sip:34020000002000000001@3402000000 SIP/2.0',
    'Via: SIP/2.0/UDP 192.168.2.64:5060;rport=5060;received=192.168.2.64;branch=z9hG4bK731488522',
    'From: <sip:34020000001320000264@3402000000>;tag=174592740',
    'To: <sip:34020000002000000001@3402000000>',
    'Call-ID: 887872640',
    'CSeq: 20 MESSAGE',
    'Content-Type: Application/MANSCDP+xml',
    'Max-Forwards: 70',
    'User-Agent: IP Camera',
    'Content-Length: 178',
    '',
    '',
  ]),
  Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<Notify>\n<CmdType>Keepalive</CmdType>\n<SN>1563</SN>\n<DeviceID>34020000001320000264</DeviceID>\n<Status>OK</Status>\n<Info>\n</Info>\n</Notify>\n', 'utf8'),
]);

/**
 * A catalog query of the GB/T 28181 platform script in Talbot3/FlyLab
 * (examples/demo-gb28181/RequestDevice.txt, written by gb28181.py as it sent each request):
 * bare LF line ends, headers in its own order, Content-Length 123 over an LF body.
 */
export const FLYLAB_CATALOG_QUERY = Buffer.from(
  'MESSAGE sip:34020000001320000001@192.168.28.110:5060 SIP/2.0\nTo: <sip:34020000001320000001@192.168.28.110:5060>\nContent-Length: 123\nCSeq: 2 MESSAGE\nCall-ID: 124957127\nVia: SIP/2.0/UDP 0.0.0.0:5080;rport;branch=z9hG4bK3420265212\nFrom: <sip:0000042001000001@0.0.0.0:5080>;tag=500483193\nContent-Type: Application/MANSCDP+xml\nMax-Forwards: 70\n\n<?xml version="1.0"?>\n<Query>\n<CmdType>Catalog</CmdType>\n<SN>10809</SN>\n<DeviceID>34020000001320000001</DeviceID>\n</Query>\n',
  'utf8',
);

/**
 * A download INVITE from a platform under test at the Ministry of Public Security's First
 * Research Institute (公安一所), published by the EasyGBS/EasyDarwin team: "实现国标GB/T28181流媒体
 * 服务解决方案:GB28181_2016版本-281818检测点播下载" (chinasem.cn/article/930853). Content-Length 270
 * is the SDP with CRLF line ends.
 */
export const EASYGBS_INVITE = crlf([
  'INVITE sip:11011201001310019394@1101120100 SIP/2.0',
  'Call-ID: a068a321fb7ee0208f1591fbdeeb2856@0.0.0.0',
  'CSeq: 1 INVITE',
  'From: <sip:11010000002000000003@1101000000>;tag=85975625_53173353_103e2a53-9100-45ea-ace2-32bfcbb7552b',
  'To: <sip:11011201001310019394@1101120100>',
  'Max-Forwards: 70',
  'Contact: "11010000002000000003" <sip:11.254.2.50:5060>',
  'Subject: 11011201001310019394:1-4-1515477228061,11010000002000000003:1',
  'Content-Type: application/sdp',
  'Route: <sip:11011201001310019394@11.30.80.53:7100;lr>',
  'Via: SIP/2.0/UDP 11.254.2.50:5060;branch=z9hG4bK103e2a53-9100-45ea-ace2-32bfcbb7552b_53173353_218274686212296',
  'Content-Length: 270',
  '',
  'v=0',
  'o=11010000002020000003 0 0 IN IP4 11.254.2.50',
  's=Download',
  'u=11011201001310019394:3',
  'c=IN IP4 11.254.2.50',
  't=1515435056 1515435236',
  'm=video 9910 RTP/AVP 96 98 97',
  'a=recvonly',
  'a=rtpmap:96 PS/90000',
  'a=rtpmap:97 MPEG4/90000',
  'a=rtpmap:98 H264/90000',
  'a=downloadspeed:1',
  '',
]);

/**
 * A camera's 200 OK to a live INVITE (UDP), "GB28181学习(十五)——流传输方式"
 * (coreui.cn/news/222230.html); the publisher replaced ids and tags in the headers by `xxx`.
 * Content-Length 226 is the SDP with CRLF line ends.
 */
export const CAMERA_INVITE_200 = crlf([
  'SIP/2.0 200 OK',
  'Call-ID: xxx',
  'Contact: <sip:sss@192.168.0.111:5060>',
  'Content-Length: 226',
  'Content-Type: application/sdp',
  'CSeq: 18467 INVITE',
  'From: <sip:xxx@192.168.0.107:5060>;tag=xxx',
  'To: <sip:xxx@192.168.0.111:5060>;tag=xxx',
  'User-Agent: SIP UAS V.2016.xxxx',
  'Via: SIP/2.0/UDP 192.168.0.107:5060;rport=5060;branch=xxx',
  '',
  'v=0',
  'o=34020000001310000002 0 0 IN IP4 192.168.0.111',
  's=Play',
  'i=VCam Live Video',
  'c=IN IP4 192.168.0.111',
  't=0 0',
  'm=video 9712 RTP/AVP 96',
  'a=sendonly',
  'a=rtpmap:96 PS/90000',
  'a=streamprofile:0',
  'y=0100000001',
  'f=v/0/0/0/0/0a/0/0/0',
  '',
]);

export const ALL_FIXTURES = { LIVEGBS_REGISTER, LIVEGBS_401, LIVEGBS_REGISTER_AUTH, LIVEGBS_KEEPALIVE, FLYLAB_CATALOG_QUERY, EASYGBS_INVITE, CAMERA_INVITE_200 };
