import { describe, expect, it } from 'vitest';
import { TalkgroupDirectory } from '../../../../adapters/radio/talkgroups.js';
import type { Device, Site } from '../../../../gateway/contract/types.js';

const site = (id: string, radio?: string): Site => ({
  id,
  name: id,
  district: 'd',
  timeZone: 'Asia/Shanghai',
  protectionWindows: [],
  holidays: [],
  contacts: [{ name: `${id} 门卫室`, role: 'guard-post', ...(radio ? { radio } : {}) }],
});
const radio = (id: string): Device => ({ id, siteId: 'ps-1', kind: 'radio', adapter: 'radio', name: id, options: {} });

describe('TalkgroupDirectory', () => {
  it('maps talkgroups to schools from the config first, then from the contacts', () => {
    const dir = new TalkgroupDirectory([{ id: 'tg-sch-02', siteId: 'sch-02b' }, { id: 'tg-patrol' }], [site('sch-01', 'tg-sch-01'), site('sch-02', 'tg-sch-02')], [radio('r1')]);
    expect([dir.siteOf('tg-sch-01'), dir.siteOf('tg-sch-02'), dir.siteOf('tg-patrol'), dir.siteOf('tg-none')]).toStrictEqual(['sch-01', 'sch-02b', undefined, undefined]);
    expect(dir.ofSite('sch-01')).toStrictEqual(['tg-sch-01']);
  });

  it('routes to the only gateway when there is one, and drops repeated talkgroups', () => {
    const dir = new TalkgroupDirectory([], [], [radio('r1')]);
    expect(dir.route(['a', 'b', 'a'])).toStrictEqual({ byRadio: new Map([['r1', ['a', 'b']]]), unroutable: [] });
  });

  it('routes by configuration between several gateways and says why a talkgroup cannot go', () => {
    const dir = new TalkgroupDirectory([{ id: 'a', radio: 'r1' }, { id: 'b', radio: 'r2' }, { id: 'c', radio: 'r9' }], [], [radio('r1'), radio('r2')]);
    expect(dir.route(['a', 'b', 'c', 'd'])).toStrictEqual({
      byRadio: new Map([['r1', ['a']], ['r2', ['b']]]),
      unroutable: [
        { talkgroup: 'c', detail: "talkgroup c: radio gateway 'r9' is not a radio device" },
        { talkgroup: 'd', detail: 'talkgroup d: 2 radio gateways and none is configured for it (adapters.radio.talkgroups[].radio)' },
      ],
    });
    expect(new TalkgroupDirectory([], [], []).radioFor('a')).toStrictEqual({ detail: 'no radio gateway is configured' });
  });
});
