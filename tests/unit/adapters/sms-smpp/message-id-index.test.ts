import { describe, expect, it } from 'vitest';
import { MessageIdIndex, numericReadings } from '../../../../adapters/sms-smpp/message-id-index.js';

describe('MessageIdIndex', () => {
  it('matches exactly, ignoring case and surrounding spaces', () => {
    const idx = new MessageIdIndex<string>('exact');
    idx.add('5A00F', 'x');
    expect([idx.find('5a00f'), idx.find(' 5A00F '), idx.find('368655')]).toStrictEqual(['x', 'x', undefined]);
  });

  it('in flexible mode matches a decimal receipt id to a hex submit id and the reverse (jasmin#210, smscsim#4)', () => {
    const idx = new MessageIdIndex<string>('flexible');
    idx.add('0005a00f', 'hex-submitted');
    idx.add('870928761', 'dec-submitted');
    expect(idx.find('368655')).toBe('hex-submitted'); // 0x5a00f
    expect(idx.find('33e95179')).toBe('dec-submitted'); // jsmpp#56: 870928761 = 0x33E95179
    expect(idx.find('0000368655')).toBe('hex-submitted');
  });

  it('refuses an ambiguous numeric match rather than guess', () => {
    const idx = new MessageIdIndex<string>('flexible');
    idx.add('10', 'ten-or-sixteen');
    idx.add('16', 'sixteen');
    // "16" read as decimal is 16 = 0x10: both stored ids could be meant.
    expect(idx.find('0016')).toBeUndefined();
    expect(idx.find('16')).toBe('sixteen');
  });

  it('forgets deleted ids in both readings', () => {
    const idx = new MessageIdIndex<string>('flexible');
    idx.add('ff', 'x');
    idx.delete('FF');
    expect([idx.find('ff'), idx.find('255'), idx.size]).toStrictEqual([undefined, undefined, 0]);
  });

  it('reads ids as decimal and hexadecimal where they can be', () => {
    expect([numericReadings('10'), numericReadings('ff'), numericReadings('msg-1')]).toStrictEqual([['10', '16'], ['255'], []]);
  });
});
