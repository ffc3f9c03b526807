/**
 * The current language and lookups into the one dictionary. Views ask here for every string;
 * switching language notifies them to render again, and the choice is kept in Prefs.
 */
import type { Prefs } from '../prefs.js';
import { DICTIONARIES, type Dictionary, type Lang, type UiKey } from './dictionary.js';

export type Vars = Record<string, string | number>;

const isLang = (v: string | undefined): v is Lang => v === 'zh' || v === 'en';

export class I18n {
  private current: Lang;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly prefs: Prefs) {
    const saved = prefs.get('lang');
    // Chinese first: English only when chosen.
    this.current = isLang(saved) ? saved : 'zh';
  }

  get lang(): Lang {
    return this.current;
  }

  /** BCP 47 tag for <html lang> and Intl formatting. */
  get locale(): string {
    return this.current === 'zh' ? 'zh-CN' : 'en-GB';
  }

  setLang(lang: Lang): void {
    if (lang === this.current) return;
    this.current = lang;
    this.prefs.set('lang', lang);
    for (const fn of this.listeners) fn();
  }

  toggle(): void {
    this.setLang(this.current === 'zh' ? 'en' : 'zh');
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private get dict(): Dictionary {
    return DICTIONARIES[this.current];
  }

  t(key: UiKey, vars?: Vars): string {
    return interpolate(this.dict.ui[key], vars);
  }

  reason(code: string): string {
    return lookup(this.dict.reason, code);
  }

  kind(kind: string): string {
    return lookup(this.dict.kind, kind);
  }

  alarmType(type: string): string {
    return lookup(this.dict.alarmType, type);
  }

  severity(severity: string): string {
    return lookup(this.dict.severity, severity);
  }

  alarmState(state: string): string {
    return lookup(this.dict.alarmState, state);
  }

  status(status: string): string {
    return lookup(this.dict.status, status);
  }

  /** A timeline action; an action the dictionary does not know yet shows as written. */
  action(action: string): string {
    return lookup(this.dict.action, action);
  }

  dataKey(key: string): string {
    return lookup(this.dict.dataKey, key);
  }

  dataValue(value: string): string {
    return lookup(this.dict.dataValue, value);
  }

  recipientState(state: string): string {
    return lookup(this.dict.recipientState, state);
  }

  /** A broadcast group by its config id; a group the dictionary does not know shows its id. */
  group(id: string): string {
    return lookup(this.dict.group, id);
  }

  /** An operator's role (duty-officer, school, …); a role the dictionary does not know shows as sent. */
  role(role: string): string {
    return lookup(this.dict.role, role);
  }

  contactRole(role: string): string {
    return lookup(this.dict.contactRole, role);
  }

  /** Why a recipient was not reached; an unknown code shows as sent. */
  failure(code: string): string {
    return lookup(this.dict.failure, code);
  }

  sweepState(state: string): string {
    return lookup(this.dict.sweepState, state);
  }

  /** Why the sweep report chain does not verify. */
  chainBroken(reason: string): string {
    return lookup(this.dict.chainBroken, reason);
  }

  channel(name: string): string {
    return name === 'sms' || name === 'radio' ? this.t(`channel.${name}`) : name;
  }

  weekday(isoDay: number): string {
    return this.dict.weekday[isoDay - 1] ?? String(isoDay);
  }

  /** A site's (or the district's) name in the current language (English name when configured). */
  siteName(site: { name: string; nameEn?: string } | undefined, fallback: string): string {
    if (!site) return fallback;
    return this.current === 'en' && site.nameEn ? site.nameEn : site.name;
  }
}

function lookup(table: Readonly<Record<string, string>>, key: string): string {
  return Object.prototype.hasOwnProperty.call(table, key) ? (table[key] ?? key) : key;
}

/**
 * `{name}` is the variable; `{name:one|other}` is the number with its noun in the right number
 * ("1 device", "3 devices"), for languages that inflect (Chinese does not need it).
 */
export function interpolate(text: string, vars?: Vars): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)(?::([^|{}]*)\|([^{}]*))?\}/g, (m, name: string, one: string | undefined, other: string | undefined) => {
    if (!(name in vars)) return m;
    const value = vars[name];
    if (one === undefined || other === undefined) return String(value);
    return `${String(value)} ${Number(value) === 1 ? one : other}`;
  });
}
