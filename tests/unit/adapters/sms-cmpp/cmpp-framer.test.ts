/** Length-prefixed framing (CMPP 2.0 §7.3, 3.0 §8.3): any TCP segmentation, and the limits. */
import { describe, expect, it } from 'vitest';
import { FrameDecoder, splitFrames } from '../../../../adapters/sms-cmpp/cmpp-framer.js';
import { ACTIVE_TEST, SUBMIT_20, TERMINATE } from './cmpp-fixtures.js';

describe('CMPP frame decoder', () => {
  it('splits back-to-back frames and keeps a partial one for later', () => {
    const stream = Buffer.concat([ACTIVE_TEST, SUBMIT_20, TERMINATE.subarray(0, 5)]);
    const out = splitFrames(stream);
    expect(out.frames.map((f) => f.toString('hex'))).toStrictEqual([ACTIVE_TEST.toString('hex'), SUBMIT_20.toString('hex')]);
    expect(out.rest.toString('hex')).toBe(TERMINATE.subarray(0, 5).toString('hex'));
    expect(out.error).toBeUndefined();
  });

  it('reassembles frames fed one octet at a time', () => {
    const d = new FrameDecoder();
    const stream = Buffer.concat([SUBMIT_20, ACTIVE_TEST]);
    const frames: Buffer[] = [];
    for (const b of stream) frames.push(...d.push(Buffer.from([b])).frames);
    expect(frames.map((f) => f.toString('hex'))).toStrictEqual([SUBMIT_20.toString('hex'), ACTIVE_TEST.toString('hex')]);
    expect(d.buffered).toBe(0);
  });

  it('a Total_Length under the header or over the limit breaks the stream for good', () => {
    const d = new FrameDecoder(4096);
    expect(d.push(Buffer.from('0000000b0000000800000001', 'hex')).error).toBe('Total_Length 11 is outside 12..4096');
    // Nothing can be resynchronised after that: every later chunk gets the same verdict.
    expect(d.push(ACTIVE_TEST)).toStrictEqual({ frames: [], rest: Buffer.alloc(0), error: 'Total_Length 11 is outside 12..4096' });
    expect(splitFrames(Buffer.from('00001001', 'hex'), 4096).error).toBe('Total_Length 4097 is outside 12..4096');
  });
});
