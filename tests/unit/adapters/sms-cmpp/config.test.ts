/** sms-cmpp configuration: defaults from the spec, every error with its path, the secret kept usable. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSmsCmppConfig } from '../../../../adapters/sms-cmpp/config.js';

describe('sms-cmpp config', () => {
  it('applies the spec defaults: port 7890, W 16, C 180 s, T 60 s, N 3, CMPP 2.0', () => {
    const c = resolveSmsCmppConfig({ spId: '901234', sharedSecret: 's3cret', srcId: '1065710001' });
    expect([c.port, c.window, c.activeTestSeconds, c.activeTestTimeoutSeconds, c.activeTestTries, c.responseTimeoutSeconds, c.submitTries, c.version]).toStrictEqual([7890, 16, 180, 60, 3, 60, 3, '2.0']);
    expect(c.secret).toBe('s3cret');
    // The secret read for use is not enumerable: logging or serialising the config cannot show it twice.
    expect(Object.keys(c)).not.toContain('secret');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every error with its /adapters/sms-cmpp path', () => {
    let caught: unknown;
    try {
      resolveSmsCmppConfig({ spId: '9012345', srcId: '', version: '4.0', window: 0, bogus: 1 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'GW_ERR_CONFIG_INVALID' });
    const details = (caught as { details: string[] }).details;
    for (const path of ['/adapters/sms-cmpp/spId', '/adapters/sms-cmpp/srcId', '/adapters/sms-cmpp/version', '/adapters/sms-cmpp/window', '/adapters/sms-cmpp/bogus']) {
      expect(details.some((d) => d.startsWith(`${path}:`)), path).toBe(true);
    }
  });

  it('needs exactly one of sharedSecret and sharedSecretFile; the file is read and its newline dropped', () => {
    expect(() => resolveSmsCmppConfig({ spId: '901234', srcId: '1065' })).toThrow(/\/adapters\/sms-cmpp\/sharedSecret: give exactly one of sharedSecret or sharedSecretFile/);
    const dir = mkdtempSync(join(tmpdir(), 'cmpp-secret-'));
    try {
      const file = join(dir, 'secret');
      writeFileSync(file, 'from-file\n');
      expect(resolveSmsCmppConfig({ spId: '901234', srcId: '1065', sharedSecretFile: file }).secret).toBe('from-file');
      expect(() => resolveSmsCmppConfig({ spId: '901234', srcId: '1065', sharedSecretFile: join(dir, 'missing') })).toThrow(/\/adapters\/sms-cmpp\/sharedSecretFile: cannot read/);
      expect(() => resolveSmsCmppConfig({ spId: '901234', srcId: '1065', sharedSecret: 'x', sharedSecretFile: file })).toThrow(/exactly one/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is idempotent on a resolved config', () => {
    const c = resolveSmsCmppConfig({ spId: '901234', sharedSecret: 's3cret', srcId: '1065710001', window: 8 });
    expect(resolveSmsCmppConfig(c)).toStrictEqual(c);
    expect(resolveSmsCmppConfig(c).secret).toBe('s3cret');
  });
});
