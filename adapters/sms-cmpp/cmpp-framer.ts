/**
 * TCP bytes → CMPP frames. Every PDU starts with its Total_Length (CMPP 2.0 §7.3, 3.0 §8.3:
 * header included), so framing is a length prefix. A length below the 12-octet header or
 * above the limit cannot be resynchronised (there is no frame marker to look for): the
 * stream is broken and the caller must close the connection.
 */
import { HEADER_LENGTH, MAX_FRAME_LENGTH } from './cmpp-constants.js';

export type SplitResult = { frames: Buffer[]; rest: Buffer; error?: undefined } | { frames: Buffer[]; rest: Buffer; error: string };

/** Pure: the whole frames at the start of `buf`, and what is left. */
export function splitFrames(buf: Buffer, maxLength = MAX_FRAME_LENGTH): SplitResult {
  const frames: Buffer[] = [];
  let at = 0;
  while (buf.length - at >= 4) {
    const total = buf.readUInt32BE(at);
    if (total < HEADER_LENGTH || total > maxLength) {
      return { frames, rest: buf.subarray(at), error: `Total_Length ${total} is outside ${HEADER_LENGTH}..${maxLength}` };
    }
    if (buf.length - at < total) break;
    frames.push(Buffer.from(buf.subarray(at, at + total)));
    at += total;
  }
  return { frames, rest: buf.subarray(at) };
}

/** The stateful side: feed chunks as they arrive, get whole frames out. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private broken: string | undefined;

  constructor(private readonly maxLength = MAX_FRAME_LENGTH) {}

  /** Frames completed by `chunk`; after an error every later call returns the same error. */
  push(chunk: Buffer): SplitResult {
    if (this.broken !== undefined) return { frames: [], rest: Buffer.alloc(0), error: this.broken };
    const joined = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out = splitFrames(joined, this.maxLength);
    // Copied, so a large read buffer is not kept alive by a few trailing octets.
    this.pending = Buffer.from(out.rest);
    if (out.error !== undefined) this.broken = out.error;
    return out;
  }

  /** Octets of an incomplete frame waiting for more. */
  get buffered(): number {
    return this.pending.length;
  }
}
