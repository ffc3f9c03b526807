/**
 * The two CMPP basic types (CMPP 2.0 §7.1, 3.0 §8.1): Unsigned Integer in network byte order,
 * and Octet String, fixed length, "right-padded with binary zeros to mark the end of the
 * string". A Reader that runs out of bytes throws GW_ERR_CMPP_MALFORMED; the codec catches it,
 * so nothing outside cmpp-codec.ts sees the throw.
 */
import { CMPP_ERRORS } from './errors.js';

export class Writer {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): this {
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }

  u8(v: number): this {
    return this.push(Buffer.from([v & 0xff]));
  }

  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return this.push(b);
  }

  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt.asUintN(64, v));
    return this.push(b);
  }

  /** An Octet String of exactly `width` octets: the ASCII text, then zeros. */
  octets(text: string, width: number, field: string): this {
    const raw = Buffer.from(text, 'latin1');
    if (raw.length > width) throw CMPP_ERRORS.error('GW_ERR_CMPP_FIELD', `${field} is ${raw.length} octets; CMPP allows ${width}`);
    const b = Buffer.alloc(width);
    raw.copy(b);
    return this.push(b);
  }

  bytes(b: Uint8Array): this {
    return this.push(Buffer.from(b));
  }

  get length(): number {
    return this.size;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

export class Reader {
  private pos = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private take(n: number, field: string): Buffer {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw CMPP_ERRORS.error('GW_ERR_CMPP_MALFORMED', `${this.what}: ${field} needs ${n} octets at offset ${this.pos}, ${this.remaining} left`);
    }
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  u8(field: string): number {
    return this.take(1, field).readUInt8(0);
  }

  u32(field: string): number {
    return this.take(4, field).readUInt32BE(0);
  }

  u64(field: string): bigint {
    return this.take(8, field).readBigUInt64BE(0);
  }

  /** An Octet String: up to its first zero octet, read as Latin-1 (numbers and codes are ASCII). */
  octets(width: number, field: string): string {
    const b = this.take(width, field);
    const end = b.indexOf(0);
    return b.subarray(0, end < 0 ? b.length : end).toString('latin1').trim();
  }

  bytes(n: number, field: string): Buffer {
    return Buffer.from(this.take(n, field));
  }

  rest(): Buffer {
    return this.take(this.remaining, 'rest');
  }
}
