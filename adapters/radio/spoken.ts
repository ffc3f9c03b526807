/**
 * The spoken form of a broadcast, for radio gateways that read it out with text-to-speech:
 * what a patrol officer must hear in a few seconds. Links and reference ids are dropped (a TTS
 * engine spells them letter by letter), tags and separators become pauses, and the result is
 * cut at a sentence or clause boundary within the limit. Pure.
 */

/** RFC 3986 §2: the characters a URI may hold (unreserved, reserved, percent). */
const URI_CHARS = "[A-Za-z0-9\\-._~:/?#\\[\\]@!$&'()*+,;=%]";
/** A link, with the lead-in words that only make sense next to it ("详情见", "查看"). */
const LINK = new RegExp(
  `(?:(?:详情|详见|详情见|查看|链接|点击|访问|see|details?)\\s*[:：]?\\s*)?(?:(?:https?|ftp)://|www\\.)${URI_CHARS}+`,
  'giu',
);
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/giu;
/**
 * A label that introduces a reference or a number ("警情编号：", "ID:", "联系电话"), dropped
 * together with it: the full text (shown on radios with a display) keeps both.
 */
const LABELLED_ID =
  /(?:(?:警情|报警|工单|事件|设备)?(?:编号|单号|参考号|流水号)|警情号|(?:联系|报警)?电话|手机|\bref|\bid|\btel)\s*[:：#]?\s*#?[A-Za-z0-9][A-Za-z0-9_-]*/giu;
/** ASCII tokens; [^\x00-\x7F] keeps CJK text out of them. */
const ASCII_TOKEN = /#?[A-Za-z0-9][A-Za-z0-9_-]*/gu;
const PICTOGRAPHS = /\p{Extended_Pictographic}|\uFE0F|\u200D/gu;

const SENTENCE_END = new Set(['。', '！', '？', '!', '?', '；', ';']);
const CLAUSE_BREAK = new Set(['，', ',', '、', '：', ':', ' ']);

/**
 * True for a token a listener cannot use: a machine reference (letters mixed with digits,
 * `alm-7f3a9c21`, `sch-01-btn-1`), a `#123` reference, or a digit run of 7 or more (ids,
 * IMEIs). Short codes people say aloud stay: `110`, `A3`, `G15`, dates, times.
 */
function isReference(token: string): boolean {
  if (token.startsWith('#')) return /\d/.test(token);
  const letters = /[A-Za-z]/.test(token);
  const digits = /\d/.test(token);
  if (letters && digits) return token.length >= 4;
  if (!letters && /^\d+$/.test(token)) return token.length >= 7;
  return false;
}

/** Normalises tags, separators and whitespace into TTS pauses (Chinese punctuation). */
function tidy(s: string): string {
  return (
    s
      // 【一键报警】 (SMS-style signature or tag) → 一键报警，
      .replace(/【([^】]*)】/gu, (_m, inner: string) => (inner.trim() ? `${inner.trim()}，` : ''))
      .replace(/[（(]\s*[）)]|\[\s*\]|\{\s*\}/gu, '')
      .replace(/\s*[·•|｜]\s*/gu, '，')
      .replace(/[\r\n\t]+/gu, '，')
      .replace(/\s{2,}/gu, ' ')
      // Where an id stood between two Chinese words, or a name had a space: one flow of speech.
      .replace(/(?<=\p{Script=Han})\s+(?=\p{Script=Han})/gu, '')
      // A pause next to a space is one pause.
      .replace(/\s*([，。！？；：、,.!?;:])\s*/gu, '$1')
      // Runs of pauses (left where a link or id stood) keep their strongest mark.
      .replace(/[，、,：:]*([。！？；!?;])[，。！？；：、,.!?;:]*/gu, '$1')
      .replace(/[，、,：:]{2,}/gu, '，')
      .replace(/^[，。！？；：、,.!?;:\s]+/u, '')
      .replace(/[，、,：:\s]+$/u, '')
  );
}

/** Cuts at the last sentence end, else the last clause break, else hard; never over `max` characters. */
function cut(chars: string[], max: number): string {
  if (chars.length <= max) return chars.join('');
  const head = chars.slice(0, max);
  const lastOf = (set: Set<string>) => {
    for (let i = head.length - 1; i >= 0; i--) if (set.has(head[i] as string)) return i;
    return -1;
  };
  const sentence = lastOf(SENTENCE_END);
  // Keep at least half the budget, or a long first sentence would leave almost nothing.
  if (sentence + 1 >= max / 2) return head.slice(0, sentence + 1).join('');
  const clause = lastOf(CLAUSE_BREAK);
  if (clause >= max / 2) return `${head.slice(0, clause).join('')}。`;
  return head.join('');
}

/**
 * Full-width letters and digits (U+FF10–FF5A) and the ideographic space become ASCII so ids
 * typed on a Chinese keyboard are found too. Not NFKC: that would also turn the Chinese
 * comma, colon and brackets into ASCII and change what the TTS engine hears.
 */
function halfWidth(s: string): string {
  return s.replace(/[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/gu, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/gu, ' ');
}

/**
 * The spoken form of `text`: at most `maxChars` characters (Unicode code points), with no
 * links, reference ids or pictographs; '' when nothing speakable is left.
 */
export function spokenForm(text: string, maxChars = 60): string {
  let s = halfWidth(text);
  s = s.replace(LINK, ' ').replace(UUID, ' ').replace(PICTOGRAPHS, '');
  // After a label, anything with a digit is a reference, however short.
  s = s.replace(LABELLED_ID, (m) => (/\d/.test(m) ? ' ' : m));
  s = s.replace(ASCII_TOKEN, (tok) => (isReference(tok) ? ' ' : tok));
  s = tidy(s);
  const chars = Array.from(s);
  if (chars.length <= maxChars) return s;
  return cut(chars, maxChars);
}
