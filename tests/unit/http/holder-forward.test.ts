/**
 * The signed client address of a request forwarded between cluster nodes (holder-forward.ts):
 * believed only with the cluster's key, for the same method, path and address, within a minute.
 */
import { describe, expect, it } from 'vitest';
import { forwardedHeaders, trustedForward } from '../../../gateway/http/holder-forward.js';

const port = { key: 'cluster-key', nodeId: 'node-b' };
const NOW = 1_800_000_000_000;
const req = (headers: Record<string, string>, method = 'POST', url = '/api/devices/sch-01-bar-1/command') => ({ method, url, headers });

describe('forwarded client address', () => {
  it('is believed when signed with the key for this method, path and address, within a minute', () => {
    const headers = forwardedHeaders(port, 'POST', '/api/devices/sch-01-bar-1/command', '10.1.2.3', NOW);
    expect(trustedForward('cluster-key', req(headers), NOW + 59_000)).toStrictEqual({ ip: '10.1.2.3', node: 'node-b' });
  });

  it('is not believed with another key, another path or method, a changed address or node, or too old or too new', () => {
    const headers = forwardedHeaders(port, 'POST', '/api/devices/sch-01-bar-1/command', '10.1.2.3', NOW);
    expect(trustedForward('other-key', req(headers), NOW)).toBeUndefined();
    expect(trustedForward('cluster-key', req(headers, 'POST', '/api/sweeps'), NOW)).toBeUndefined();
    expect(trustedForward('cluster-key', req(headers, 'GET'), NOW)).toBeUndefined();
    expect(trustedForward('cluster-key', req({ ...headers, 'x-gateway-forwarded-for': '10.9.9.9' }), NOW)).toBeUndefined();
    expect(trustedForward('cluster-key', req({ ...headers, 'x-gateway-forwarded-by': 'node-x' }), NOW)).toBeUndefined();
    expect(trustedForward('cluster-key', req(headers), NOW + 61_000)).toBeUndefined();
    expect(trustedForward('cluster-key', req(headers), NOW - 61_000)).toBeUndefined();
    expect(trustedForward('cluster-key', req({ ...headers, 'x-gateway-forwarded-sig': 'short' }), NOW)).toBeUndefined();
    const { 'x-gateway-forwarded-at': _at, ...withoutTime } = headers;
    expect(trustedForward('cluster-key', req(withoutTime), NOW)).toBeUndefined();
  });
});
