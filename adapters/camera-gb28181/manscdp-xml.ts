/**
 * MANSCDP bodies (GB/T 28181-2016 Annex A): small XML documents, `<Query>`, `<Response>` or
 * `<Notify>` with a CmdType, an SN and a DeviceID, declared as GB2312 (2016) or GB18030 (2022)
 * or UTF-8. A small parser of our own: elements, attributes, text, the five predefined entities
 * and numeric references; no DTDs (refused), comments and processing instructions skipped.
 * Depth and size are bounded, so a hostile body costs little.
 */
import { GB_ERRORS } from './errors.js';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const MAX_DEPTH = 16;
const MAX_BODY = 64 * 1024;

const bad = (detail: string) => GB_ERRORS.error('GW_ERR_GB_XML_MALFORMED', detail);

/** Decodes a body by the encoding its XML declaration names (GB/T 28181-2016 §A: GB2312; 2022: GB18030). */
export function decodeXmlBody(body: Buffer): string {
  const head = body.subarray(0, 120).toString('latin1');
  const declared = /encoding\s*=\s*["']([A-Za-z0-9_-]+)["']/i.exec(head)?.[1]?.toLowerCase();
  // GB2312 and GBK are subsets of GB18030: decode all three as GB18030.
  const label = declared === undefined || declared === 'utf-8' || declared === 'utf8' ? 'utf-8' : /^(gb2312|gbk|gb18030|cp936)$/.test(declared) ? 'gb18030' : declared;
  try {
    return new TextDecoder(label).decode(body);
  } catch {
    throw bad(`unsupported encoding ${JSON.stringify(declared)}`);
  }
}

function unescape(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    const code = e.startsWith('#x') ? parseInt(e.slice(2), 16) : Number(e.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** Parses a document; returns its root element. Throws GW_ERR_GB_XML_MALFORMED. */
export function parseXml(text: string): XmlElement {
  if (text.length > MAX_BODY) throw bad(`${text.length} characters`);
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (stack.length > 0) (stack[stack.length - 1] as XmlElement).text += unescape(chunk);
    else if (chunk.trim() !== '' && chunk.trim() !== '\ufeff') throw bad('text outside the root element');
    if (lt < 0) break;
    if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt);
      if (end < 0) throw bad('unclosed processing instruction');
      i = end + 2;
    } else if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt);
      if (end < 0) throw bad('unclosed comment');
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt);
      if (end < 0 || stack.length === 0) throw bad('CDATA outside an element');
      (stack[stack.length - 1] as XmlElement).text += text.slice(lt + 9, end);
      i = end + 3;
    } else if (text.startsWith('<!', lt)) {
      throw bad('DTDs are not accepted');
    } else if (text.startsWith('</', lt)) {
      const end = text.indexOf('>', lt);
      if (end < 0) throw bad('unclosed end tag');
      const name = text.slice(lt + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw bad(`</${name.slice(0, 40)}> does not close ${open ? `<${open.name}>` : 'anything'}`);
      if (stack.length === 0) root = open;
      i = end + 1;
    } else {
      const end = text.indexOf('>', lt);
      if (end < 0) throw bad('unclosed tag');
      let inner = text.slice(lt + 1, end);
      const selfClosing = inner.endsWith('/');
      if (selfClosing) inner = inner.slice(0, -1);
      const m = /^([A-Za-z_][\w.:-]*)([\s\S]*)$/.exec(inner);
      if (!m) throw bad(`tag ${JSON.stringify(inner.slice(0, 40))}`);
      const attrs: Record<string, string> = {};
      const attrText = (m[2] ?? '').trim();
      const re = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
      let consumed = 0;
      for (let a = re.exec(attrText); a; a = re.exec(attrText)) {
        if (attrText.slice(consumed, a.index).trim() !== '') throw bad('attribute syntax');
        attrs[a[1] as string] = unescape(a[2] ?? a[3] ?? '');
        consumed = re.lastIndex;
      }
      if (attrText.slice(consumed).trim() !== '') throw bad('attribute syntax');
      const el: XmlElement = { name: m[1] as string, attrs, children: [], text: '' };
      if (stack.length > 0) (stack[stack.length - 1] as XmlElement).children.push(el);
      else if (root) throw bad('a second root element');
      if (selfClosing) {
        if (stack.length === 0) root = el;
      } else {
        if (stack.length >= MAX_DEPTH) throw bad(`deeper than ${MAX_DEPTH}`);
        stack.push(el);
      }
      i = end + 1;
    }
  }
  if (stack.length > 0) throw bad(`<${(stack[stack.length - 1] as XmlElement).name}> is not closed`);
  if (!root) throw bad('no root element');
  return root;
}

/** A child's trimmed text (case-sensitive element names, as Annex A spells them). */
export function childText(el: XmlElement, name: string): string | undefined {
  const c = el.children.find((x) => x.name === name);
  return c === undefined ? undefined : c.text.trim();
}

export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((x) => x.name === name);
}
