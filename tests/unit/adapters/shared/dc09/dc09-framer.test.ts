import { describe, expect, it } from 'vitest';
import { splitFrames } from '../../../../../adapters/shared/dc09/dc09-framer.js';
import { FIXTURES, frameOf } from './fixtures.js';

const a = frameOf(FIXTURES.standardSia);
const b = frameOf(FIXTURES.iobrokerPanelNull);

describe('splitFrames', () => {
  it('splits several frames and keeps a partial one', () => {
    const r = splitFrames(Buffer.concat([a, b, b.subarray(0, 10)]));
    expect(r.frames).toStrictEqual([a, b]);
    expect(r.junk).toStrictEqual([]);
    expect(r.rest).toStrictEqual(b.subarray(0, 10));
    expect(splitFrames(Buffer.concat([r.rest, b.subarray(10)])).frames).toStrictEqual([b]);
  });

  it('ignores CR LF, spaces and the trailing NUL some panels send (ioBroker.sia #11)', () => {
    const r = splitFrames(Buffer.concat([Buffer.from('\r\n'), a, Buffer.from([0]), Buffer.from(' \r\n'), b, Buffer.from([0])]));
    expect(r).toStrictEqual({
      frames: [a, b],
      junk: [],
      items: [
        { kind: 'frame', bytes: a },
        { kind: 'frame', bytes: b },
      ],
      rest: Buffer.alloc(0),
    });
  });

  it('reports junk before a frame and junk terminated by CR', () => {
    const r = splitFrames(Buffer.concat([Buffer.from('GET / HTTP/1.1\r'), Buffer.from('xx'), a]));
    expect(r.junk.map((j) => j.toString())).toStrictEqual(['GET / HTTP/1.1\r', 'xx']);
    expect(r.frames).toStrictEqual([a]);
  });

  it('keeps frames and junk in stream order, so replies go out in the order the bytes came', () => {
    const r = splitFrames(Buffer.concat([a, Buffer.from('xx\r'), b, Buffer.from('yy')]), 4096);
    expect(r.items.map((i) => [i.kind, i.bytes.toString('latin1')])).toStrictEqual([
      ['frame', a.toString('latin1')],
      ['junk', 'xx\r'],
      ['frame', b.toString('latin1')],
    ]);
    expect(r.rest.toString()).toBe('yy');
  });

  it('turns an over-long unterminated run into junk', () => {
    const r = splitFrames(Buffer.alloc(5000, 0x41), 4096);
    expect(r.junk.length).toBe(1);
    expect(r.rest.length).toBe(0);
  });
});
