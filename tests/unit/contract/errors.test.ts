/**
 * The error catalogue: the gateway's sections and every registered adapter's, no code declared
 * twice, statuses an HTTP client can read, and one error class carrying them.
 */
import { describe, expect, it } from 'vitest';
import { loadAllAdapters } from '../../../adapters/registry.js';
import { errorSection, GATEWAY_ERROR_SECTIONS, GatewayError, isGatewayError, type ErrorSection } from '../../../gateway/contract/errors.js';

const sections: ErrorSection[] = [...new Set<ErrorSection>([...GATEWAY_ERROR_SECTIONS, ...(await loadAllAdapters()).flatMap((a) => (a.errors ? [a.errors] : []))])];

describe('error catalogue', () => {
  it('declares every code once, GW_ERR_ named, with an HTTP status and a message', () => {
    const seen = new Map<string, string>();
    for (const s of sections) {
      for (const [code, spec] of Object.entries(s.codes)) {
        expect(seen.get(code), `${code} in ${s.name} and ${seen.get(code)}`).toBeUndefined();
        seen.set(code, s.name);
        expect(code).toMatch(/^GW_ERR_[A-Z0-9_]+$/);
        expect(spec.status >= 400 && spec.status < 600, `${code}: ${spec.status}`).toBe(true);
        expect(spec.message.length).toBeGreaterThan(0);
      }
    }
    expect(seen.size).toBeGreaterThan(60);
  });

  it('builds one error class: code, status, section name, message with its detail, cause and details', () => {
    const cause = new Error('socket closed');
    const err = new GatewayError('GW_ERR_UNKNOWN_DEVICE', 'sch-99-btn-1', { cause, details: ['a'], deviceId: 'sch-99-btn-1' });
    expect([err instanceof Error, err.name, err.code, err.statusCode, err.message, err.cause, err.details, err.deviceId]).toStrictEqual([
      true,
      'GatewayError',
      'GW_ERR_UNKNOWN_DEVICE',
      404,
      'unknown device: sch-99-btn-1',
      cause,
      ['a'],
      'sch-99-btn-1',
    ]);
    const sweep = new GatewayError('GW_ERR_SWEEP_SELECTION', "unknown site 'x'");
    expect([sweep.name, sweep.statusCode, sweep.message]).toStrictEqual(['SweepError', 400, "sweep selection is invalid: unknown site 'x'"]);
    // '%s': the detail is the whole message.
    const broadcast = new GatewayError('GW_ERR_BROADCAST_NOT_FOUND', "no broadcast 'b'");
    expect([broadcast.name, broadcast.statusCode, broadcast.message]).toStrictEqual(['BroadcastError', 404, "no broadcast 'b'"]);
  });

  it('lets a section (an adapter) make its own coded errors of the same class', () => {
    const vendor = errorSection('AcmeError', { GW_ERR_ACME_JAMMED: { status: 502, message: 'gate arm jammed' } });
    const err = vendor.error('GW_ERR_ACME_JAMMED', 'north gate');
    expect([err instanceof GatewayError, isGatewayError(err, 'GW_ERR_ACME_JAMMED'), err.name, err.statusCode, err.message]).toStrictEqual([
      true,
      true,
      'AcmeError',
      502,
      'gate arm jammed: north gate',
    ]);
  });
});
