import { describe, expect, it } from 'vitest';
import { maskNumber, relativeValidity } from '../../../../adapters/sms-smpp/adapter-api.js';
import { resolveSmsSmppConfig } from '../../../../adapters/sms-smpp/config.js';
import { smsSmppAdapter } from '../../../../adapters/sms-smpp/index.js';

describe('sms-smpp config', () => {
  it('applies defaults and freezes the result', () => {
    const c = resolveSmsSmppConfig({ systemId: 'gw', password: 'pw' });
    expect([c.host, c.port, c.deviceId, c.window, c.enquireLinkMs, c.registeredDelivery, c.receiptIdMatch, Object.isFrozen(c)]).toStrictEqual([
      '127.0.0.1',
      2775,
      'sms-channel',
      10,
      30_000,
      true,
      'flexible',
      true,
    ]);
    expect(resolveSmsSmppConfig(c)).toStrictEqual(c);
  });

  it('reports every invalid field with its path', () => {
    expect(() => resolveSmsSmppConfig({ systemId: 'a-very-long-system-id', password: '123456789', window: 0, bogus: 1 })).toThrow(
      expect.objectContaining({
        code: 'GW_ERR_CONFIG_INVALID',
        message: expect.stringMatching(/\/systemId: .*\/password: .*\/window: .*/s),
      }),
    );
    expect(() => resolveSmsSmppConfig({ systemId: 'gw', reconnectMinMs: 500, reconnectMaxMs: 100 })).toThrow(/reconnectMaxMs/);
  });

  it('declares itself as the sms channel adapter', () => {
    expect([smsSmppAdapter.type, smsSmppAdapter.kinds, smsSmppAdapter.availability]).toStrictEqual(['sms-smpp', ['sms'], 'active']);
  });
});

describe('helpers', () => {
  it('masks phone numbers for logs', () => {
    expect([maskNumber('13805710101'), maskNumber('110')]).toStrictEqual(['138****0101', '***']);
  });

  it('writes relative validity periods (SMPP 3.4 §7.1.1.2)', () => {
    expect([relativeValidity(30), relativeValidity(1440 + 90)]).toStrictEqual(['000000003000000R', '000001013000000R']);
  });
});
