/**
 * A cheap pre-parse guard for device JSON: how deeply arrays and objects nest, counted on the
 * text without building anything. No v1 payload nests deeper than two levels (a button's
 * `sim`, a radio command's `talkgroups`), so a payload of `[[[[…` or `{"a":{"a":…` is refused
 * with a clear reason before JSON.parse allocates thousands of levels for the schema to refuse.
 * Shared with the radio adapter, which reads the same v1 topics.
 */

/** Deepest nesting any v1 payload may use; generous so that extending a payload never hits it. */
export const MAX_JSON_DEPTH = 16;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * True when `text` opens more than `limit` arrays/objects inside one another (RFC 8259 §2:
 * brackets inside strings do not count). Exact for valid JSON; for invalid JSON it only decides
 * which refusal is reported.
 */
export function jsonNestingExceeds(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}
