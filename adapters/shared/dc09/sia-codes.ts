/**
 * SIA DC-03 event codes carried in a DC-09 "SIA-DCS" message (SIA DC-09-2013 5.5.1.7,
 * payload per DC-07 / DC-03), as a closed, typed vocabulary: the subset a school alarm button
 * and its panel send, with names as DC-03 gives them (cross-checked against pysiaalarm's
 * src/pysiaalarm/data/sia_codes.py). Codes outside it still decode, with `code: undefined`.
 *
 * SIA-DCS data: `#acct|N` + elements, e.g. `#1234|Nri1/PA501` (area 1, panic, zone 501).
 * `N` marks a new event (`O` an old one); lower-case pairs are modifiers (`ri` area, `ti`
 * time, `id` user, `pi` peripheral…); upper-case pairs are event codes followed by their
 * address digits (zone or user) and an optional `^text^`; `/` separates elements.
 */
import type { Dc09EventKind } from './event-kinds.js';

export interface SiaCodeInfo {
  name: string;
  kind: Dc09EventKind;
  /** What the address digits after the code name. */
  address: 'zone' | 'user' | 'area' | 'line' | 'unused';
}

export const SIA_CODES = {
  PA: { name: 'Panic Alarm', kind: 'panic', address: 'zone' },
  PH: { name: 'Panic Alarm Restore', kind: 'panic-restore', address: 'zone' },
  PR: { name: 'Panic Restoral', kind: 'panic-restore', address: 'zone' },
  PT: { name: 'Panic Trouble', kind: 'trouble', address: 'zone' },
  HA: { name: 'Holdup Alarm', kind: 'holdup', address: 'zone' },
  HR: { name: 'Holdup Restoral', kind: 'holdup-restore', address: 'zone' },
  DU: { name: 'Duress', kind: 'duress', address: 'user' },
  MA: { name: 'Medical Alarm', kind: 'medical', address: 'zone' },
  MR: { name: 'Medical Restoral', kind: 'medical-restore', address: 'zone' },
  QA: { name: 'Emergency Alarm', kind: 'emergency', address: 'zone' },
  QR: { name: 'Emergency Restoral', kind: 'emergency-restore', address: 'zone' },
  FA: { name: 'Fire Alarm', kind: 'fire', address: 'zone' },
  FR: { name: 'Fire Restoral', kind: 'fire-restore', address: 'zone' },
  BA: { name: 'Burglary Alarm', kind: 'burglary', address: 'zone' },
  BR: { name: 'Burglary Restoral', kind: 'burglary-restore', address: 'zone' },
  TA: { name: 'Tamper Alarm', kind: 'tamper', address: 'zone' },
  TR: { name: 'Tamper Restoral', kind: 'tamper-restore', address: 'zone' },
  RP: { name: 'Automatic Test', kind: 'test-periodic', address: 'unused' },
  RX: { name: 'Manual Test', kind: 'test-manual', address: 'user' },
  RY: { name: 'Test Off Normal', kind: 'trouble', address: 'zone' },
  TX: { name: 'Test Report', kind: 'test', address: 'unused' },
  TS: { name: 'Test Start', kind: 'test', address: 'unused' },
  TE: { name: 'Test End', kind: 'test', address: 'unused' },
  AT: { name: 'AC Trouble', kind: 'ac-loss', address: 'unused' },
  AR: { name: 'AC Restoral', kind: 'ac-restore', address: 'unused' },
  YT: { name: 'System Battery Trouble', kind: 'low-battery', address: 'unused' },
  YR: { name: 'System Battery Restoral', kind: 'battery-restore', address: 'unused' },
  XT: { name: 'Transmitter Battery Trouble', kind: 'low-battery', address: 'zone' },
  XR: { name: 'Transmitter Battery Restoral', kind: 'battery-restore', address: 'zone' },
  YC: { name: 'Communications Fail', kind: 'comm-trouble', address: 'unused' },
  YK: { name: 'Communications Restoral', kind: 'comm-restore', address: 'unused' },
  YS: { name: 'Communications Trouble', kind: 'comm-trouble', address: 'unused' },
  LT: { name: 'Phone Line Trouble', kind: 'comm-trouble', address: 'line' },
  LR: { name: 'Phone Line Restoral', kind: 'comm-restore', address: 'line' },
  NT: { name: 'Network Failure', kind: 'comm-trouble', address: 'unused' },
  NR: { name: 'Network Restoral', kind: 'comm-restore', address: 'unused' },
  RR: { name: 'Power Up', kind: 'power-up', address: 'unused' },
  YX: { name: 'Service Required', kind: 'trouble', address: 'unused' },
  YZ: { name: 'Service Completed', kind: 'trouble-restore', address: 'unused' },
  UT: { name: 'Untyped Zone Trouble', kind: 'trouble', address: 'zone' },
  UR: { name: 'Untyped Zone Restoral', kind: 'trouble-restore', address: 'zone' },
  OP: { name: 'Opening Report', kind: 'opening', address: 'user' },
  CL: { name: 'Closing Report', kind: 'closing', address: 'user' },
  BB: { name: 'Burglary Bypass', kind: 'bypass', address: 'zone' },
  BU: { name: 'Burglary Unbypass', kind: 'unbypass', address: 'zone' },
} as const satisfies Record<string, SiaCodeInfo>;

export type SiaCode = keyof typeof SIA_CODES;

export function isSiaCode(s: string): s is SiaCode {
  return Object.hasOwn(SIA_CODES, s);
}

export interface SiaEventItem {
  /** Undefined when the two letters are outside SIA_CODES. */
  code: SiaCode | undefined;
  rawCode: string;
  /** Zone / user / area digits after the code ('' when none). */
  address: string;
  /** The `^…^` text after the address. */
  text?: string;
  kind: Dc09EventKind;
}

export interface SiaData {
  /** Account inside the data block (`#acct|`), which may differ from the header's. */
  account?: string;
  /** true for `N` (new event), false for `O` (old), undefined when absent. */
  isNew?: boolean;
  /** Lower-case modifiers in order, e.g. [{ name: 'ri', value: '1' }]. */
  modifiers: { name: string; value: string }[];
  events: SiaEventItem[];
  /** ASCII text after a `|A` block (DC-07 text). */
  asciiText?: string;
}

/** Parses SIA-DCS data; a string is an error description. */
export function parseSiaData(data: string): SiaData | string {
  let s = data;
  const out: SiaData = { modifiers: [], events: [] };
  const acct = /^#([0-9A-Fa-f]{3,16})\|/.exec(s);
  if (acct) {
    out.account = (acct[1] as string).toUpperCase();
    s = s.slice(acct[0].length);
  } else if (s.startsWith('|')) {
    s = s.slice(1);
  }
  if (s[0] === 'N' || s[0] === 'O') {
    // `N`/`O` is a block marker only when an element follows it (`NRR` is N + RR, `OP…` is an
    // event when nothing precedes it: a bare `OP001` has no block marker).
    const after = s.slice(1);
    if (/^(?:[a-z]{2}|[A-Z]{2})/.test(after)) {
      out.isNew = s[0] === 'N';
      s = after;
    }
  }
  while (s.length > 0) {
    if (s[0] === '/') {
      s = s.slice(1);
      continue;
    }
    if (s[0] === '|') {
      out.asciiText = s.slice(1).replace(/^A/, '');
      break;
    }
    const mod = /^([a-z]{2})([^A-Z/|^]*)/.exec(s);
    if (mod) {
      out.modifiers.push({ name: mod[1] as string, value: mod[2] as string });
      s = s.slice(mod[0].length);
      continue;
    }
    const ev = /^([A-Z]{2})(\d*)(?:\^([^^]*)\^)?/.exec(s);
    if (ev) {
      const rawCode = ev[1] as string;
      const code = isSiaCode(rawCode) ? rawCode : undefined;
      out.events.push({
        code,
        rawCode,
        address: ev[2] as string,
        ...(ev[3] !== undefined ? { text: ev[3] } : {}),
        kind: code ? SIA_CODES[code].kind : 'unknown',
      });
      s = s.slice(ev[0].length);
      continue;
    }
    return `unexpected ${JSON.stringify(s.slice(0, 20))} in SIA data`;
  }
  if (out.events.length === 0) return 'SIA data without an event code';
  return out;
}

export interface SiaEventSpec {
  code: SiaCode;
  /** Zone or user number; written as given (pad it if the receiver expects fixed width). */
  address?: string;
  /** Area / partition (`ri` modifier). */
  area?: string;
  /** Account repeated inside the data block (usual; DC-09-2013's example does it). */
  account?: string;
}

/** Formats `#acct|Nri<area>/<code><address>`, the layout of the DC-09 examples. */
export function formatSiaData(spec: SiaEventSpec): string {
  const acct = spec.account !== undefined ? `#${spec.account}|` : '';
  const area = spec.area !== undefined ? `ri${spec.area}/` : '';
  return `${acct}N${area}${spec.code}${spec.address ?? ''}`;
}
