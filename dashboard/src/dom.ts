/**
 * A few DOM helpers instead of a framework: element creation, and a keyed list update that
 * keeps existing elements (and so keyboard focus) when rows change or move.
 */
export type Child = Node | string | number | null | undefined | false;
/** Children may nest in arrays (a mapped list next to single nodes). */
export type Children = Child | readonly Children[];

export interface Props {
  class?: string;
  id?: string;
  /** Attributes, including aria-* and data-*; false or undefined leaves one out. */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: { [K in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[K]) => void };
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Children[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.id) el.id = props.id;
  if (props.attrs) setAttrs(el, props.attrs);
  if (props.on) {
    for (const [name, fn] of Object.entries(props.on)) if (fn) el.addEventListener(name, fn as EventListener);
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: readonly Children[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c as readonly Children[]);
    else el.append(typeof c === 'number' ? String(c) : (c as Node | string));
  }
}

export function setAttrs(el: Element, attrs: Record<string, string | number | boolean | undefined>): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) el.removeAttribute(k);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

/** Sets text only when it changed (no layout work for an unchanged cell). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/**
 * Makes `parent`'s children match `items` in order, keyed by `key`. `render` gets the existing
 * element for an item (to update in place) or undefined (to create one) and returns it.
 */
export function syncList<T>(parent: Element, items: readonly T[], key: (item: T) => string, render: (item: T, existing: HTMLElement | undefined) => HTMLElement): void {
  const focused = document.activeElement;
  const old = new Map<string, HTMLElement>();
  for (const child of Array.from(parent.children)) {
    if (child instanceof HTMLElement && child.dataset.key !== undefined) old.set(child.dataset.key, child);
    else child.remove();
  }
  const keep = new Set<HTMLElement>();
  items.forEach((item, i) => {
    const k = key(item);
    const el = render(item, old.get(k));
    el.dataset.key = k;
    keep.add(el);
    const at = parent.children[i];
    if (at !== el) parent.insertBefore(el, at ?? null);
  });
  for (const el of old.values()) if (!keep.has(el)) el.remove();
  // Moving a node blurs it: give focus back to the row that had it.
  if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
}

export function clear(el: Element): void {
  el.replaceChildren();
}
