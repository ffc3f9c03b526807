/**
 * Splits a byte stream into DC-09 frames (<LF> … <CR>, SIA DC-09-2013 5.5.1). A TCP segment
 * may carry part of a frame, one frame or several; a UDP datagram carries one (5.3).
 * Bytes outside any frame are "junk": the receiver answers DUH to them. Whitespace and NUL
 * between frames are ignored — some panels send <CR><LF> or a trailing 0x00 (the NULL frame in
 * ioBroker.sia issue #11 ends `…2019\r\0`).
 */

const LF = 0x0a;
const CR = 0x0d;

/** One piece of the stream, in the order it arrived. */
export interface SplitItem {
  kind: 'frame' | 'junk';
  bytes: Buffer;
}

export interface SplitResult {
  frames: Buffer[];
  junk: Buffer[];
  /**
   * Frames and junk in stream order: a receiver answers in this order, so a DUH to junk that
   * followed a message never overtakes that message's ACK (DC-09 5.5.3 pairs a reply with the
   * last message sent).
   */
  items: SplitItem[];
  /** Bytes of a frame not yet terminated; feed them again with the next chunk. */
  rest: Buffer;
}

function isFiller(b: number): boolean {
  return b === 0x00 || b === 0x20 || b === 0x09 || b === LF || b === CR;
}

/** `maxFrame` bounds `rest`: an unterminated run longer than that is junk, not a frame. */
export function splitFrames(buf: Buffer, maxFrame = 4096): SplitResult {
  const frames: Buffer[] = [];
  const junk: Buffer[] = [];
  const items: SplitItem[] = [];
  const addJunk = (b: Buffer): void => {
    if (!b.some((x) => !isFiller(x))) return;
    junk.push(b);
    items.push({ kind: 'junk', bytes: b });
  };
  let i = 0;
  for (;;) {
    const cr = buf.indexOf(CR, i);
    if (cr < 0) break;
    const seg = buf.subarray(i, cr + 1);
    const lf = seg.lastIndexOf(LF);
    if (lf < 0) addJunk(seg);
    else {
      addJunk(seg.subarray(0, lf));
      const frame = seg.subarray(lf);
      frames.push(frame);
      items.push({ kind: 'frame', bytes: frame });
    }
    i = cr + 1;
  }
  let rest = buf.subarray(i);
  if (rest.length > maxFrame) {
    addJunk(rest);
    rest = Buffer.alloc(0);
  } else if (!rest.some((x) => !isFiller(x) || x === LF)) {
    rest = Buffer.alloc(0);
  }
  return { frames, junk, items, rest };
}
