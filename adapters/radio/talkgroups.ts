/**
 * The talkgroup directory: which radio dispatch gateway carries a talkgroup, and which school
 * a talkgroup belongs to (so an emergency call on `tg-sch-01` is raised for `sch-01`). Built
 * from the adapter config, then from the schools' contacts (`contacts[].radio`). Pure.
 */
import type { Device, Site } from '../../gateway/contract/types.js';
import type { TalkgroupConfig } from './config.js';

export interface Route {
  /** Radio gateway id → the talkgroups it is asked to transmit on, in request order. */
  byRadio: Map<string, string[]>;
  /** Talkgroups no gateway carries, with why. */
  unroutable: { talkgroup: string; detail: string }[];
}

export class TalkgroupDirectory {
  private readonly entries = new Map<string, TalkgroupConfig>();
  private readonly radioIds: ReadonlySet<string>;

  constructor(configured: readonly TalkgroupConfig[], sites: readonly Site[], radios: readonly Device[]) {
    for (const tg of configured) this.entries.set(tg.id, tg);
    for (const site of sites) {
      for (const c of site.contacts) {
        if (c.radio && !this.entries.has(c.radio)) this.entries.set(c.radio, { id: c.radio, siteId: site.id, name: c.name });
      }
    }
    this.radioIds = new Set(radios.map((d) => d.id));
  }

  siteOf(talkgroup: string): string | undefined {
    return this.entries.get(talkgroup)?.siteId;
  }

  /** The talkgroups of one school, in directory order. */
  ofSite(siteId: string): string[] {
    return [...this.entries.values()].filter((e) => e.siteId === siteId).map((e) => e.id);
  }

  /** The gateway a talkgroup goes to: the configured one, or the only one there is. */
  radioFor(talkgroup: string): { radio: string } | { detail: string } {
    const configured = this.entries.get(talkgroup)?.radio;
    if (configured) return this.radioIds.has(configured) ? { radio: configured } : { detail: `talkgroup ${talkgroup}: radio gateway '${configured}' is not a radio device` };
    if (this.radioIds.size === 1) return { radio: [...this.radioIds][0] as string };
    if (this.radioIds.size === 0) return { detail: 'no radio gateway is configured' };
    return { detail: `talkgroup ${talkgroup}: ${this.radioIds.size} radio gateways and none is configured for it (adapters.radio.talkgroups[].radio)` };
  }

  /** Groups talkgroups per gateway, dropping repeats (a talkgroup is announced once per broadcast). */
  route(talkgroups: readonly string[]): Route {
    const byRadio = new Map<string, string[]>();
    const unroutable: Route['unroutable'] = [];
    for (const tg of new Set(talkgroups)) {
      const r = this.radioFor(tg);
      if ('radio' in r) byRadio.set(r.radio, [...(byRadio.get(r.radio) ?? []), tg]);
      else unroutable.push({ talkgroup: tg, detail: r.detail });
    }
    return { byRadio, unroutable };
  }
}
