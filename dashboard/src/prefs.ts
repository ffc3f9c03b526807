/**
 * The officer's choices that outlive a reload (the language, tiles or map), in localStorage. A browser that
 * refuses storage (private mode, quota) still works: choices then last for the page. Who is
 * signed in is not a preference: that is the session (session.ts, sessionStorage).
 */
export interface PrefValues {
  lang?: string;
  /** The schools view as tiles or as the schematic map ('tiles' | 'map'). */
  schoolsLayout?: string;
}

const PREFIX = 'campus-dashboard.';

export class Prefs {
  private readonly memory = new Map<string, string>();

  constructor(private readonly storage: Storage | undefined) {}

  get(key: keyof PrefValues): string | undefined {
    try {
      const v = this.storage?.getItem(PREFIX + key);
      if (v !== null && v !== undefined) return v;
    } catch {
      // storage refused: fall back to memory
    }
    return this.memory.get(key);
  }

  set(key: keyof PrefValues, value: string): void {
    this.memory.set(key, value);
    try {
      this.storage?.setItem(PREFIX + key, value);
    } catch {
      // storage refused: kept in memory for this page
    }
  }
}
