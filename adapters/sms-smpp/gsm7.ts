/**
 * GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1) and its extension table (§6.2.1.1),
 * one septet per octet ("unpacked"), which is how SMPP carries data_coding 0x00 in
 * short_message: the SMSC packs septets for the air interface (SMPP 3.4 §5.2.19).
 */

/** Septet value = index. 0x1B is the escape to the extension table, never a character. */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Extension table: character → septet that follows the 0x1B escape. */
const EXTENSION: ReadonlyArray<readonly [string, number]> = [
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
];

export const GSM7_ESCAPE = 0x1b;

interface Tables {
  encodeBasic: ReadonlyMap<string, number>;
  encodeExt: ReadonlyMap<string, number>;
  decodeExt: ReadonlyMap<number, string>;
}

function buildTables(): Tables {
  const encodeBasic = new Map<string, number>();
  for (let i = 0; i < BASIC.length; i++) if (i !== GSM7_ESCAPE) encodeBasic.set(BASIC[i] as string, i);
  return {
    encodeBasic,
    encodeExt: new Map(EXTENSION),
    decodeExt: new Map(EXTENSION.map(([ch, septet]) => [septet, ch])),
  };
}

/** Built once from constant data; never mutated, so not module-level mutable state. */
const TABLES: Tables = buildTables();

/** Septets a character takes: 1 (basic), 2 (escape + extension), 0 (not representable). */
export function gsm7Septets(ch: string): 0 | 1 | 2 {
  if (TABLES.encodeBasic.has(ch)) return 1;
  if (TABLES.encodeExt.has(ch)) return 2;
  return 0;
}

/** True when every character of `text` is in the default alphabet or its extension table. */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (gsm7Septets(ch) === 0) return false;
  return true;
}

/** Unpacked septets for `text`; throws on a character outside the alphabet (check with isGsm7). */
export function gsm7Encode(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const basic = TABLES.encodeBasic.get(ch);
    if (basic !== undefined) {
      out.push(basic);
      continue;
    }
    const ext = TABLES.encodeExt.get(ch);
    if (ext === undefined) throw new RangeError(`character U+${ch.codePointAt(0)?.toString(16)} is not in the GSM 7-bit alphabet`);
    out.push(GSM7_ESCAPE, ext);
  }
  return Buffer.from(out);
}

/**
 * Text from unpacked septets. An escape followed by an unknown septet decodes as that
 * septet's basic character (TS 23.038 §6.2.1.1: receivers shall display the basic character).
 */
export function gsm7Decode(septets: Uint8Array): string {
  let out = '';
  for (let i = 0; i < septets.length; i++) {
    const s = (septets[i] as number) & 0x7f;
    if (s === GSM7_ESCAPE && i + 1 < septets.length) {
      const next = (septets[++i] as number) & 0x7f;
      out += TABLES.decodeExt.get(next) ?? BASIC[next] ?? ' ';
      continue;
    }
    out += s === GSM7_ESCAPE ? ' ' : (BASIC[s] ?? ' ');
  }
  return out;
}
