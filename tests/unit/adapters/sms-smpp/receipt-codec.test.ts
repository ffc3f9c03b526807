import { describe, expect, it } from 'vitest';
import { classifyStat, interpretReceipt, isReceiptEsmClass, parseReceiptText } from '../../../../adapters/sms-smpp/receipt-codec.js';

/**
 * Receipt texts as real SMSCs sent them, with where each was published. They vary in exactly
 * the ways Appendix B allows ("vendor specific"): date length, err width, `Text:` vs `text:`,
 * no text field, non-standard stat words, zeroed done date.
 */
const FIXTURES = [
  {
    source: 'SMPP 3.4 Issue 1.2, Appendix B (template with the field widths)',
    text: 'id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E Text: . . . . . . . . .',
    expected: { id: 'IIIIIIIIII', sub: 'SSS', dlvrd: 'DDD', submitDate: 'YYMMDDhhmm', doneDate: 'YYMMDDhhmm', stat: 'DDDDDDD', err: 'E', text: ' . . . . . . . . .' },
  },
  {
    source: 'smppcenter.com/kb/how-read-smpp-delivery-receipt (12-digit dates)',
    text: 'id:64567564356765435676 sub:001 dlvrd:001 submit date:190608165232 done date:190608165237 stat:DELIVRD err:000 text:Hello World',
    expected: { id: '64567564356765435676', sub: '001', dlvrd: '001', submitDate: '190608165232', doneDate: '190608165237', stat: 'DELIVRD', err: '000', text: 'Hello World' },
  },
  {
    source: 'help.nexmo.com, "How to read a Nexmo SMPP Delivery Receipt" (zero-padded id)',
    text: 'id:0000000012345678 sub:001 dlvrd:001 submit date:1601010100 done date:1601010101 stat:DELIVRD err:000 text:none',
    expected: { id: '0000000012345678', sub: '001', dlvrd: '001', submitDate: '1601010100', doneDate: '1601010101', stat: 'DELIVRD', err: '000', text: 'none' },
  },
  {
    source: 'stackoverflow.com/questions/8754853 (no text field at all)',
    text: 'id:40072910491427628 sub:001 dlvrd:001 submit date:1007291049 done date:1007291049 stat:DELIVRD err:000',
    expected: { id: '40072910491427628', sub: '001', dlvrd: '001', submitDate: '1007291049', doneDate: '1007291049', stat: 'DELIVRD', err: '000' },
  },
  {
    source: 'e-com-net.com/article/2299106.htm (UNDELIV, err 075 = ESME_RINVDSTNPI)',
    text: 'id:0911897980 sub:001 dlvrd:000 submit date:1201121551 done date:1201121551 stat:UNDELIV err:075 text:-PROFILE',
    expected: { id: '0911897980', sub: '001', dlvrd: '000', submitDate: '1201121551', doneDate: '1201121551', stat: 'UNDELIV', err: '075', text: '-PROFILE' },
  },
  {
    source: 'github.com/RestComm/smscgateway/issues/232 (UNDELIV err:001)',
    text: 'id:34265880701 sub:001 dlvrd:001 submit date:1709260755 done date:1709260755 stat:UNDELIV err:001 text:sfdsfs',
    expected: { id: '34265880701', sub: '001', dlvrd: '001', submitDate: '1709260755', doneDate: '1709260755', stat: 'UNDELIV', err: '001', text: 'sfdsfs' },
  },
  {
    source: 'github.com/jookies/jasmin/issues/447 (stat FAILED, zeroed done date, capital Text:)',
    text: 'id:1216080510463401720 sub:001 dlvrd:001 submit date:1608051046 done date:0000000000 stat:FAILED err:002 Text:',
    expected: { id: '1216080510463401720', sub: '001', dlvrd: '001', submitDate: '1608051046', doneDate: '0000000000', stat: 'FAILED', err: '002', text: '' },
  },
  {
    source: 'github.com/farhadi/node-smpp/issues/199 (empty text:, sent with receipted_message_id)',
    text: 'id:0000029095 sub:001 dlvrd:001 submit date:211125034959 done date:211125035001 stat:DELIVRD err:000 text:',
    expected: { id: '0000029095', sub: '001', dlvrd: '001', submitDate: '211125034959', doneDate: '211125035001', stat: 'DELIVRD', err: '000', text: '' },
  },
] as const;

describe('parseReceiptText (SMPP 3.4 Appendix B)', () => {
  it.each(FIXTURES)('parses $source', ({ text, expected }) => {
    expect(parseReceiptText(text)).toStrictEqual(expected);
  });

  it('reads the abbreviated `dlvr:` key, lower-case keys and extra spaces, and keeps a text that looks like fields', () => {
    expect(parseReceiptText('ID:a1b2  sub:001 dlvr:001 submit date:2601011200 done date:2601011201 STAT:delivrd err:000 text:stat:UNDELIV id:x')).toStrictEqual({
      id: 'a1b2',
      sub: '001',
      dlvrd: '001',
      submitDate: '2601011200',
      doneDate: '2601011201',
      stat: 'delivrd',
      err: '000',
      text: 'stat:UNDELIV id:x',
    });
  });

  it('returns null when there is no id or no stat', () => {
    expect(parseReceiptText('hello, are you there?')).toBeNull();
    expect(parseReceiptText('id:123 sub:001 dlvrd:001')).toBeNull();
    expect(parseReceiptText('00,0210021543,0210021500,,447887123456,10110200000000,we2345678')).toBeNull();
  });
});

describe('classifyStat', () => {
  it('maps Appendix B stat words and common variants to outcomes and reasons', () => {
    const words = ['DELIVRD', 'delivered', 'ENROUTE', 'ACCEPTD', 'EXPIRED', 'DELETED', 'UNDELIV', 'UNDELIVERABLE', 'REJECTD', 'UNKNOWN', 'FAILED', 'NOROUTE'];
    expect(Object.fromEntries(words.map((w) => [w, classifyStat(w)]))).toStrictEqual({
      DELIVRD: { outcome: 'delivered' },
      delivered: { outcome: 'delivered' },
      ENROUTE: { outcome: 'pending' },
      ACCEPTD: { outcome: 'pending' },
      EXPIRED: { outcome: 'failed', reason: 'EXPIRED' },
      DELETED: { outcome: 'failed', reason: 'DELETED' },
      UNDELIV: { outcome: 'failed', reason: 'UNDELIV' },
      UNDELIVERABLE: { outcome: 'failed', reason: 'UNDELIV' },
      REJECTD: { outcome: 'failed', reason: 'REJECTD' },
      UNKNOWN: { outcome: 'failed', reason: 'UNKNOWN' },
      FAILED: { outcome: 'failed', reason: 'UNDELIV' },
      NOROUTE: { outcome: 'failed', reason: 'UNDELIV' },
    });
  });
});

describe('interpretReceipt', () => {
  it('builds a receipt from text alone', () => {
    expect(interpretReceipt({ text: FIXTURES[4].text })).toStrictEqual({
      messageId: '0911897980',
      stat: 'UNDELIV',
      outcome: 'failed',
      reason: 'UNDELIV',
      err: '075',
      submitDate: '1201121551',
      doneDate: '1201121551',
      source: 'text',
    });
  });

  it('prefers receipted_message_id and message_state TLVs (SMPP 3.4 §5.3.2.12, §5.3.2.35) over the text', () => {
    const r = interpretReceipt({ text: FIXTURES[7].text, receiptedMessageId: '71AA', messageState: 3, networkErrorCode: Uint8Array.from([3, 0, 0x1b]) });
    expect(r).toStrictEqual({
      messageId: '71AA',
      stat: 'EXPIRED',
      outcome: 'failed',
      reason: 'EXPIRED',
      err: '000',
      networkErrorCode: '03001b',
      submitDate: '211125034959',
      doneDate: '211125035001',
      source: 'tlv+text',
    });
    expect(interpretReceipt({ receiptedMessageId: '9', messageState: 2 })).toStrictEqual({ messageId: '9', stat: 'DELIVRD', outcome: 'delivered', source: 'tlv' });
  });

  it('returns null for a receipt without an id or a state anywhere', () => {
    expect(interpretReceipt({ text: 'garbage' })).toBeNull();
    expect(interpretReceipt({ receiptedMessageId: '9' })).toBeNull();
  });
});

describe('isReceiptEsmClass (SMPP 3.4 §5.2.12)', () => {
  it('recognizes SMSC delivery receipts and intermediate notifications, not MO or SME acks', () => {
    expect([0x04, 0x44, 0x20, 0x00, 0x40, 0x08, 0x10].map(isReceiptEsmClass)).toStrictEqual([true, true, true, false, false, false, false]);
  });
});
