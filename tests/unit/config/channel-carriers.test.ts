/** Which adapter carries a broadcast channel: the only one offering it, or the one the config names. */
import { describe, expect, it } from 'vitest';
import { channelCarriers } from '../../../gateway/config/channel-carriers.js';

const smpp = { type: 'sms-smpp', channels: ['sms'] as const };
const cmpp = { type: 'sms-cmpp', channels: ['sms'] as const };
const radio = { type: 'radio', channels: ['radio'] as const };
const mqtt = { type: 'mqtt-native' };

function refused(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toMatchObject({ code: 'GW_ERR_CONFIG_INVALID' });
    return (err as { details: string[] }).details;
  }
  throw new Error('expected a configuration error');
}

describe('channel carriers', () => {
  it('the one adapter offering a channel carries it', () => {
    expect(channelCarriers([mqtt, smpp, radio], {})).toStrictEqual(new Map([['radio', 'radio'], ['sms', 'sms-smpp']]));
    expect(channelCarriers([mqtt, cmpp], {})).toStrictEqual(new Map([['sms', 'sms-cmpp']]));
  });

  it('two adapters offering sms need broadcast.channelAdapters.sms', () => {
    expect(refused(() => channelCarriers([smpp, cmpp, radio], {}))).toStrictEqual([
      "/broadcast/channelAdapters/sms: both sms-smpp and sms-cmpp offer the 'sms' channel; name the one that carries it",
    ]);
    expect(channelCarriers([smpp, cmpp, radio], { sms: 'sms-cmpp' }).get('sms')).toBe('sms-cmpp');
  });

  it('the named carrier must run and offer the channel', () => {
    expect(refused(() => channelCarriers([smpp], { sms: 'sms-cmpp' }))).toStrictEqual([
      "/broadcast/channelAdapters/sms: 'sms-cmpp' is not running (configure adapters.sms-cmpp, or give a device adapter: sms-cmpp)",
    ]);
    expect(refused(() => channelCarriers([smpp, radio], { sms: 'radio', radio: 'sms-smpp' }))).toStrictEqual([
      "/broadcast/channelAdapters/radio: 'sms-smpp' does not offer the 'radio' channel (offered by radio)",
      "/broadcast/channelAdapters/sms: 'radio' does not offer the 'sms' channel (offered by sms-smpp)",
    ]);
  });
});
