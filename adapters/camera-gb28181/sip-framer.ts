/**
 * SIP over a stream (TCP): messages are framed by their Content-Length (RFC 3261 §18.3, where it
 * is mandatory), and CRLF sequences between messages are keep-alive pings (RFC 5626 §3.5.1) to
 * be skipped. A frame longer than MAX_SIP_MESSAGE, or without a Content-Length, is an error the
 * caller answers by closing the connection (the stream cannot be resynchronised).
 */
import { contentLength, headerEnd, MAX_SIP_MESSAGE, parseSipDatagram, type SipHeader, type SipMessage } from './sip-message.js';
import { GB_ERRORS } from './errors.js';

export class SipStreamFramer {
  private buf: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns the complete messages they finish. Throws GW_ERR_GB_SIP_MALFORMED. */
  push(chunk: Buffer): SipMessage[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: SipMessage[] = [];
    for (;;) {
      let skip = 0;
      while (skip < this.buf.length && (this.buf[skip] === 0x0d || this.buf[skip] === 0x0a)) skip++;
      if (skip > 0) this.buf = this.buf.subarray(skip);
      if (this.buf.length === 0) break;
      const end = headerEnd(this.buf);
      if (!end) {
        if (this.buf.length > MAX_SIP_MESSAGE) throw GB_ERRORS.error('GW_ERR_GB_SIP_MALFORMED', `no end of headers in ${this.buf.length} bytes`);
        break;
      }
      const headers = this.buf
        .subarray(0, end.at)
        .toString('latin1')
        .split(/\r?\n/)
        .slice(1)
        .flatMap((line): SipHeader[] => {
          const colon = line.indexOf(':');
          return colon > 0 ? [{ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() }] : [];
        });
      const length = contentLength(headers);
      if (length === undefined) throw GB_ERRORS.error('GW_ERR_GB_SIP_MALFORMED', 'no Content-Length on a stream transport');
      const total = end.at + end.length + length;
      if (total > MAX_SIP_MESSAGE) throw GB_ERRORS.error('GW_ERR_GB_SIP_MALFORMED', `${total} bytes, more than ${MAX_SIP_MESSAGE}`);
      if (this.buf.length < total) break;
      out.push(parseSipDatagram(Buffer.from(this.buf.subarray(0, total))));
      this.buf = this.buf.subarray(total);
    }
    return out;
  }

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.buf.length;
  }
}
