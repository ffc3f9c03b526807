import { describe, expect, it } from 'vitest';
import { canonicalJson, GENESIS_HASH, linkHash, makeLink, sha256Hex, verifyLinks } from '../../../gateway/reports/report-chain.js';
import { verifySweepChain } from '../../../gateway/reports/sweep-reports.js';
import { memoryStore, result, sealSweep } from './fixtures.js';

const context = { sites: [{ id: 's01', name: '第一中学' }], devices: { 's01-btn-1': { name: 'b1', adapter: 'mqtt-native' } } };

describe('report hash chain', () => {
  it('canonical JSON sorts keys at every depth, drops undefined, keeps array order (RFC 8785)', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: '中' }], c: undefined } })).toBe('{"a":{"d":[3,{"y":"中","z":true}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'); // FIPS 180-2 B.1
  });

  it('verifies a good chain and names the first broken link: edited content, edited link, removed link', async () => {
    const l1 = makeLink(undefined, 'sw-1', 1, 'c1');
    const l2 = makeLink(l1, 'sw-2', 2, 'c2');
    const l3 = makeLink(l2, 'sw-3', 3, 'c3');
    expect(l1.prevHash).toBe(GENESIS_HASH);
    expect(l2).toStrictEqual({ seq: 2, sweepId: 'sw-2', sealedAt: 2, contentHash: 'c2', prevHash: l1.hash, hash: linkHash({ seq: 2, sweepId: 'sw-2', sealedAt: 2, contentHash: 'c2', prevHash: l1.hash }) });
    const as = (links: typeof l1[], content: Record<string, string | undefined> = {}) =>
      links.map((link) => ({ link, recomputedContentHash: link.sweepId in content ? content[link.sweepId] : link.contentHash }));

    expect(await verifyLinks(as([l1, l2, l3]))).toStrictEqual({ ok: true, checked: 3, head: l3.hash });
    expect(await verifyLinks(as([l1, l2, l3], { 'sw-2': 'edited' }))).toMatchObject({ ok: false, checked: 2, head: l1.hash, firstBroken: { seq: 2, sweepId: 'sw-2', reason: 'content-changed' } });
    expect(await verifyLinks(as([l1, l2, l3], { 'sw-3': undefined }))).toMatchObject({ firstBroken: { seq: 3, reason: 'content-missing' } });
    expect(await verifyLinks(as([l1, { ...l2, contentHash: 'c2-forged' }, l3]))).toMatchObject({ firstBroken: { seq: 2, reason: 'link-hash-mismatch' } });
    expect(await verifyLinks(as([l1, l3]))).toMatchObject({ firstBroken: { seq: 3, sweepId: 'sw-3', reason: 'sequence-gap' } });
    // A forger who renumbers after removing sw-2 still cannot point sw-3 at sw-1.
    expect(await verifyLinks(as([l1, { ...l3, seq: 2 }]))).toMatchObject({ firstBroken: { seq: 2, reason: 'prev-hash-mismatch' } });
    expect(await verifyLinks([])).toStrictEqual({ ok: true, checked: 0, head: GENESIS_HASH });
  });

  it('in the store: sealed rows refuse edits, and a report edited behind the triggers\' back breaks the chain at its link', async () => {
    const { db, store } = memoryStore();
    const r1 = await sealSweep(store, 'sw-1', [result('s01-btn-1', 's01')], context);
    const r2 = await sealSweep(store, 'sw-2', [result('s01-btn-1', 's01', { status: 'offline', reasons: [{ code: 'no-heartbeat' }] })], context);
    await sealSweep(store, 'sw-3', [result('s01-btn-1', 's01')], context);
    expect(r2.integrity.prevHash).toBe(r1.integrity.hash);
    expect(await verifySweepChain(store)).toMatchObject({ ok: true, checked: 3 });

    expect(() => db.prepare("UPDATE sweep_results SET body = '{}' WHERE sweep_id = 'sw-2'").run()).toThrow('sweep results are append-only');
    expect(() => db.prepare("UPDATE sweeps SET name = 'x' WHERE id = 'sw-2'").run()).toThrow('sweep report is sealed');
    expect(() => db.prepare("DELETE FROM sweep_reports WHERE seq = 2").run()).toThrow('sweep reports are append-only');
    await expect(store.addResult('sw-2', result('s01-btn-9', 's01'))).rejects.toThrow('sweep report is sealed');

    // Someone with sqlite3 and time: drop the guard, make the offline button look healthy.
    db.exec('DROP TRIGGER sweep_results_no_update');
    const healthy = JSON.stringify(result('s01-btn-1', 's01'));
    db.prepare("UPDATE sweep_results SET body = ?, failing = 0 WHERE sweep_id = 'sw-2'").run(healthy);
    expect(await verifySweepChain(store)).toStrictEqual({
      ok: false,
      checked: 2,
      head: r1.integrity.hash,
      firstBroken: { seq: 2, sweepId: 'sw-2', reason: 'content-changed', detail: expect.stringMatching(/^content hashes to [0-9a-f]{12}…, sealed as [0-9a-f]{12}…$/) as string },
    });
  });
});
