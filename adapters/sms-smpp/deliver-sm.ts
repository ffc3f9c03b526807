/**
 * Reads a deliver_sm (SMPP 3.4 §4.6.1) into plain fields. The `smpp` package has already
 * split the UDH off and decoded text for the codings it knows; anything it left as bytes is
 * decoded here by data_coding (SMPP 3.4 §5.2.19).
 */
import { concatFromIes, type ConcatInfo } from './concat-reassembler.js';
import { gsm7Decode, gsm7Encode, isGsm7 } from './gsm7.js';
import { DATA_CODING } from './smpp-constants.js';

export interface DeliverSmFields {
  from: string;
  to: string;
  esmClass: number;
  dataCoding: number;
  text: string;
  concat?: ConcatInfo;
  receiptedMessageId?: string;
  messageState?: number;
  networkErrorCode?: Uint8Array;
}

/** data_coding 0x0F: KS C 5601 in SMPP 3.4 §5.2.19, but GBK on Chinese operators' gateways (as in CMPP). */
const GBK = 0x0f;

/** Text from raw user data bytes by data_coding. */
export function decodeBytes(bytes: Uint8Array, dataCoding: number): string {
  const buf = Buffer.from(bytes);
  switch (dataCoding & 0x0f) {
    case DATA_CODING.UCS2:
      return Buffer.from(buf.subarray(0, buf.length - (buf.length % 2))).swap16().toString('utf16le');
    case DATA_CODING.SMSC_DEFAULT:
      return gsm7Decode(buf);
    case GBK:
      return new TextDecoder('gbk').decode(buf);
    case DATA_CODING.IA5:
      return buf.toString('ascii');
    default:
      return buf.toString('latin1');
  }
}

/**
 * The `smpp` package decodes data_coding 0x01 (IA5/ASCII) with the GSM table, turning '@'
 * into '¡' and '_' into '§'. The GSM basic table is a bijection on septets, so encoding its
 * output back gives the original octets, which are then read as ASCII.
 */
function undoGsmDecode(text: string): string {
  return isGsm7(text) ? gsm7Encode(text).toString('ascii') : text;
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

/** The library hands short_message / message_payload as a string, bytes, or `{ udh?, message }`. */
export function decodeMessageField(value: unknown, dataCoding: number): { text: string; ies: Uint8Array[] } {
  const fix = (t: string): string => ((dataCoding & 0x0f) === DATA_CODING.IA5 ? undoGsmDecode(t) : t);
  if (typeof value === 'string') return { text: fix(value), ies: [] };
  if (isBytes(value)) return { text: decodeBytes(value, dataCoding), ies: [] };
  if (value && typeof value === 'object' && 'message' in value) {
    const m = (value as { message: unknown }).message;
    const udh = (value as { udh?: unknown }).udh;
    const ies = Array.isArray(udh) ? udh.filter(isBytes) : [];
    if (typeof m === 'string') return { text: fix(m), ies };
    if (isBytes(m)) return { text: decodeBytes(m, dataCoding), ies };
  }
  return { text: '', ies: [] };
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function readDeliverSm(pdu: Record<string, unknown>): DeliverSmFields {
  const dataCoding = num(pdu.data_coding) ?? 0;
  const esmClass = num(pdu.esm_class) ?? 0;
  const payload = decodeMessageField(pdu.message_payload, dataCoding);
  const short = decodeMessageField(pdu.short_message, dataCoding);
  // SMPP 3.4 §5.3.2.32: message_payload replaces short_message when present.
  const body = payload.text.length > 0 ? payload : short;
  const out: DeliverSmFields = {
    from: typeof pdu.source_addr === 'string' ? pdu.source_addr : '',
    to: typeof pdu.destination_addr === 'string' ? pdu.destination_addr : '',
    esmClass,
    dataCoding,
    text: body.text,
  };
  const sarRef = num(pdu.sar_msg_ref_num);
  const sarTotal = num(pdu.sar_total_segments);
  const sarSeq = num(pdu.sar_segment_seqnum);
  const concat =
    concatFromIes(body.ies) ??
    (sarRef !== undefined && sarTotal !== undefined && sarSeq !== undefined ? { ref: sarRef, total: sarTotal, index: sarSeq } : undefined);
  if (concat) out.concat = concat;
  if (typeof pdu.receipted_message_id === 'string' && pdu.receipted_message_id.length > 0) out.receiptedMessageId = pdu.receipted_message_id;
  const state = num(pdu.message_state);
  if (state !== undefined) out.messageState = state;
  if (isBytes(pdu.network_error_code)) out.networkErrorCode = pdu.network_error_code;
  return out;
}
