/**
 * SIA DC-05 (Ademco Contact ID) payload as carried by a DC-09 "ADM-CID" message
 * (SIA DC-09-2013 5.5.1.7): `#acct|QEEE GG CCC`, e.g. the standard's example
 * `#12345A|1110 00 129` — qualifier Q, event code EEE, group/partition GG, zone or user CCC.
 *
 * Qualifier (DC-05): 1 = new event or opening, 3 = new restore or closing, 6 = previously
 * reported condition still present (status report).
 */
import { DC09_ERRORS } from './dc09-errors.js';
import type { Dc09EventKind } from './event-kinds.js';

export const CONTACT_ID_QUALIFIERS = { 1: 'new', 3: 'restore', 6: 'status' } as const;
export type ContactIdQualifier = 1 | 3 | 6;

interface CidCodeInfo {
  name: string;
  /** Kind for qualifier 1 (and 6); the restore kind for qualifier 3. */
  kind: Dc09EventKind;
  restoreKind: Dc09EventKind;
  /** Whether CCC names a user rather than a zone (DC-05; cf. dc09_spt's dc05_is_user). */
  user?: true;
}

/**
 * The event codes this gateway names (DC-05 code table; the SIA mapping in pysiaalarm's
 * adm_mapping.py agrees: 120→PA, 601→RX, 602→RP, 137→TA/TR, 301→AT/AR …).
 */
export const CONTACT_ID_EVENTS = {
  '100': { name: 'Medical', kind: 'medical', restoreKind: 'medical-restore' },
  '101': { name: 'Personal emergency', kind: 'emergency', restoreKind: 'emergency-restore' },
  '110': { name: 'Fire', kind: 'fire', restoreKind: 'fire-restore' },
  '120': { name: 'Panic', kind: 'panic', restoreKind: 'panic-restore' },
  '121': { name: 'Duress', kind: 'duress', restoreKind: 'holdup-restore', user: true },
  '122': { name: 'Silent panic', kind: 'holdup', restoreKind: 'holdup-restore' },
  '123': { name: 'Audible panic', kind: 'panic', restoreKind: 'panic-restore' },
  '130': { name: 'Burglary', kind: 'burglary', restoreKind: 'burglary-restore' },
  '137': { name: 'Tamper', kind: 'tamper', restoreKind: 'tamper-restore' },
  '144': { name: 'Sensor tamper', kind: 'tamper', restoreKind: 'tamper-restore' },
  '301': { name: 'AC loss', kind: 'ac-loss', restoreKind: 'ac-restore' },
  '302': { name: 'Low system battery', kind: 'low-battery', restoreKind: 'battery-restore' },
  '305': { name: 'System reset', kind: 'power-up', restoreKind: 'power-up' },
  '350': { name: 'Communication trouble', kind: 'comm-trouble', restoreKind: 'comm-restore' },
  '354': { name: 'Failure to communicate event', kind: 'comm-trouble', restoreKind: 'comm-restore' },
  '380': { name: 'Sensor trouble', kind: 'trouble', restoreKind: 'trouble-restore' },
  '384': { name: 'RF low battery', kind: 'low-battery', restoreKind: 'battery-restore' },
  '401': { name: 'Open/close by user', kind: 'opening', restoreKind: 'closing', user: true },
  '570': { name: 'Zone bypass', kind: 'bypass', restoreKind: 'unbypass' },
  '601': { name: 'Manual trigger test report', kind: 'test-manual', restoreKind: 'test-manual' },
  '602': { name: 'Periodic test report', kind: 'test-periodic', restoreKind: 'test-periodic' },
  '603': { name: 'Periodic RF transmission', kind: 'test-periodic', restoreKind: 'test-periodic' },
  '607': { name: 'Walk test mode', kind: 'test', restoreKind: 'test' },
} as const satisfies Record<string, CidCodeInfo>;

export type ContactIdEventCode = keyof typeof CONTACT_ID_EVENTS;

export function isContactIdEventCode(s: string): s is ContactIdEventCode {
  return Object.hasOwn(CONTACT_ID_EVENTS, s);
}

export interface ContactIdEvent {
  /** Account inside the data block (`#acct|`), when present. */
  account?: string;
  qualifier: ContactIdQualifier;
  /** Undefined when EEE is outside CONTACT_ID_EVENTS. */
  code: ContactIdEventCode | undefined;
  rawCode: string;
  /** GG: group or partition, 0..99. */
  partition: number;
  /** CCC: zone or user number, 0..999. */
  zoneOrUser: number;
  /** Whether CCC is a user number for this code. */
  isUser: boolean;
  kind: Dc09EventKind;
}

const CID_RE = /^(?:#([0-9A-Fa-f]{3,16}))?\|?([136])(\d{3}) (\d{2}) (\d{3})$/;

/** Parses ADM-CID data; a string is an error description. */
export function parseContactId(data: string): ContactIdEvent | string {
  const m = CID_RE.exec(data);
  if (!m) return `not Contact ID data: ${JSON.stringify(data.slice(0, 30))}`;
  const [, acct, q, eee, gg, ccc] = m as unknown as [string, string | undefined, string, string, string, string];
  const qualifier = Number(q) as ContactIdQualifier;
  const code = isContactIdEventCode(eee) ? eee : undefined;
  const info: CidCodeInfo | undefined = code ? CONTACT_ID_EVENTS[code] : undefined;
  return {
    ...(acct !== undefined ? { account: acct.toUpperCase() } : {}),
    qualifier,
    code,
    rawCode: eee,
    partition: Number(gg),
    zoneOrUser: Number(ccc),
    isUser: info?.user === true,
    kind: info ? (qualifier === 3 ? info.restoreKind : info.kind) : 'unknown',
  };
}

export interface ContactIdSpec {
  qualifier: ContactIdQualifier;
  code: ContactIdEventCode;
  partition: number;
  zoneOrUser: number;
  /** Account repeated inside the data block, as in the DC-09 example. */
  account?: string;
}

/** Formats `#acct|QEEE GG CCC`. */
export function formatContactId(spec: ContactIdSpec): string {
  if (!Number.isInteger(spec.partition) || spec.partition < 0 || spec.partition > 99) {
    throw DC09_ERRORS.error('GW_ERR_DC09_FIELD_INVALID', `Contact ID partition ${spec.partition} is outside 0..99`);
  }
  if (!Number.isInteger(spec.zoneOrUser) || spec.zoneOrUser < 0 || spec.zoneOrUser > 999) {
    throw DC09_ERRORS.error('GW_ERR_DC09_FIELD_INVALID', `Contact ID zone/user ${spec.zoneOrUser} is outside 0..999`);
  }
  const acct = spec.account !== undefined ? `#${spec.account}|` : '';
  const gg = String(spec.partition).padStart(2, '0');
  const ccc = String(spec.zoneOrUser).padStart(3, '0');
  return `${acct}${spec.qualifier}${spec.code} ${gg} ${ccc}`;
}
