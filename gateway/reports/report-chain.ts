/**
 * Tamper evidence for sweep reports: each report's canonical content is hashed (SHA-256,
 * FIPS 180-4) and chained to the previous report's link, like the audit log's chain. Anyone
 * holding the reports can recompute it; an edited, removed or reordered report breaks the
 * chain at its own link.
 */
import { createHash } from 'node:crypto';
import type { ReportLink } from '../core/sweeps/types.js';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON after RFC 8785 (JCS) §3.2.3: object keys sorted by UTF-16 code units, no
 * whitespace, `undefined` members dropped. Our content holds integers, strings and booleans,
 * for which JSON.stringify already yields JCS's serialization (§3.2.2).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function linkHash(l: Omit<ReportLink, 'hash'>): string {
  return sha256Hex(canonicalJson([l.seq, l.sweepId, l.sealedAt, l.contentHash, l.prevHash]));
}

export function makeLink(prev: ReportLink | undefined, sweepId: string, sealedAt: number, contentHash: string): ReportLink {
  const base = { seq: (prev?.seq ?? 0) + 1, sweepId, sealedAt, contentHash, prevHash: prev?.hash ?? GENESIS_HASH };
  return { ...base, hash: linkHash(base) };
}

export type BrokenLinkReason =
  /** The report's content no longer hashes to what was sealed (an edited report). */
  | 'content-changed'
  /** The link's own hash is wrong (an edited link). */
  | 'link-hash-mismatch'
  /** The link does not point at the previous link (a removed or reordered report). */
  | 'prev-hash-mismatch'
  /** Sequence numbers skip (a removed link). */
  | 'sequence-gap'
  /** The sealed report's content cannot be found any more. */
  | 'content-missing';

export interface ChainVerdict {
  ok: boolean;
  /** Links checked (up to and including the broken one). */
  checked: number;
  /** Hash of the last good link: what an auditor writes down. */
  head: string;
  firstBroken?: { seq: number; sweepId: string; reason: BrokenLinkReason; detail: string };
}

/** A sealed link with the content hash recomputed now (undefined: content gone). */
export interface LinkToVerify {
  link: ReportLink;
  recomputedContentHash: string | undefined;
}

/** Walks the chain in order; stops at the first broken link and names it. */
export async function verifyLinks(links: AsyncIterable<LinkToVerify> | Iterable<LinkToVerify>): Promise<ChainVerdict> {
  let prev: ReportLink | undefined;
  let checked = 0;
  for await (const { link, recomputedContentHash } of links) {
    checked += 1;
    const expectedSeq = (prev?.seq ?? 0) + 1;
    const broken = (reason: BrokenLinkReason, detail: string): ChainVerdict => ({
      ok: false,
      checked,
      head: prev?.hash ?? GENESIS_HASH,
      firstBroken: { seq: link.seq, sweepId: link.sweepId, reason, detail },
    });
    if (link.seq !== expectedSeq) return broken('sequence-gap', `expected link ${expectedSeq}, found ${link.seq}`);
    if (link.prevHash !== (prev?.hash ?? GENESIS_HASH)) return broken('prev-hash-mismatch', `points at ${link.prevHash.slice(0, 12)}…, previous link is ${(prev?.hash ?? GENESIS_HASH).slice(0, 12)}…`);
    if (linkHash(link) !== link.hash) return broken('link-hash-mismatch', 'the link was edited after sealing');
    if (recomputedContentHash === undefined) return broken('content-missing', 'the sealed report is gone');
    if (recomputedContentHash !== link.contentHash) return broken('content-changed', `content hashes to ${recomputedContentHash.slice(0, 12)}…, sealed as ${link.contentHash.slice(0, 12)}…`);
    prev = link;
  }
  return { ok: true, checked, head: prev?.hash ?? GENESIS_HASH };
}
