/**
 * SOAP 1.2 plumbing for the simulated ONVIF camera: reading the few elements a request carries,
 * checking the WS-Security UsernameToken, and wrapping answers and faults in envelopes.
 *
 * Requests come from ONVIF clients we test against (the `onvif` npm client, ONVIF Device
 * Manager); a namespace-agnostic element lookup is all a simulator needs, so no XML library.
 */
import { createHash } from 'node:crypto';
import type { Credentials } from './digest-auth.js';

export const NS = {
  env: 'http://www.w3.org/2003/05/soap-envelope',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  ter: 'http://www.onvif.org/ver10/error',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  wsa: 'http://www.w3.org/2005/08/addressing',
  tns1: 'http://www.onvif.org/ver10/topics',
} as const;

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' } as const)[c as '<']};`);
}

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|apos|quot);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[e] ?? '');
}

/** Text of the first element with this local name, whatever its prefix. */
export function elementText(xml: string, localName: string): string | undefined {
  const re = new RegExp(`<(?:[\\w.-]+:)?${localName}(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?${localName}\\s*>`);
  const m = re.exec(xml);
  return m?.[1] === undefined ? undefined : unescapeXml(m[1].trim());
}

/** Local name of the operation: the first element inside the SOAP Body (SOAP 1.2 Part 1 §5.3). */
export function soapAction(xml: string): string | undefined {
  const body = /<(?:[\w.-]+:)?Body(?:\s[^>]*)?>\s*<(?:[\w.-]+:)?([\w.-]+)/.exec(xml);
  return body?.[1];
}

/** ISO 8601 duration `PT1M`, `PT10S`, `PT1M30.5S` → milliseconds. */
export function parseDuration(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s.trim());
  if (!m) return undefined;
  const [, d, h, min, sec] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Number(sec ?? 0) * 1000;
}

export type TokenCheck = 'ok' | 'missing' | 'bad-digest' | 'stale';

/**
 * WS-Security UsernameToken with PasswordDigest (OASIS UsernameToken Profile 1.0 §3.1:
 * Base64(SHA-1(nonce + created + password))), which ONVIF Core 5.9.2 requires devices to
 * accept. `Created` must lie within `windowMs` of the device's own clock: this is why a camera
 * whose clock is off by more than the window (commonly ±5 min) rejects clients that do not
 * first read its time with GetSystemDateAndTime.
 */
export function checkUsernameToken(xml: string, creds: Credentials, deviceNow: number, windowMs: number): TokenCheck {
  const username = elementText(xml, 'Username');
  const digest = elementText(xml, 'Password');
  const nonce = elementText(xml, 'Nonce');
  const created = elementText(xml, 'Created');
  if (username === undefined || digest === undefined || nonce === undefined || created === undefined) return 'missing';
  const expected = createHash('sha1')
    .update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created, 'utf8'), Buffer.from(creds.password, 'utf8')]))
    .digest('base64');
  if (username !== creds.username || expected !== digest) return 'bad-digest';
  const at = Date.parse(created);
  if (!Number.isFinite(at) || Math.abs(at - deviceNow) > windowMs) return 'stale';
  return 'ok';
}

export function envelope(body: string, header = ''): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<env:Envelope xmlns:env="${NS.env}" xmlns:tds="${NS.tds}" xmlns:trt="${NS.trt}" xmlns:tev="${NS.tev}" ` +
    `xmlns:tt="${NS.tt}" xmlns:ter="${NS.ter}" xmlns:wsnt="${NS.wsnt}" xmlns:wsa="${NS.wsa}" xmlns:tns1="${NS.tns1}">` +
    `<env:Header>${header}</env:Header><env:Body>${body}</env:Body></env:Envelope>`
  );
}

/** SOAP 1.2 fault with an ONVIF subcode (ONVIF Core 5.11.2: generic faults). */
export function fault(code: 'Sender' | 'Receiver', subcode: string, reason: string): string {
  return envelope(
    `<env:Fault><env:Code><env:Value>env:${code}</env:Value><env:Subcode><env:Value>ter:${subcode}</env:Value></env:Subcode></env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${escapeXml(reason)}</env:Text></env:Reason></env:Fault>`,
  );
}

/** `2026-11-23T01:02:03.000Z` without the milliseconds, as devices usually write xs:dateTime. */
export function xsDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
