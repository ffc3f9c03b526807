import { describe, expect, it } from 'vitest';
import { resolveBroadcastConfig } from '../../../../gateway/core/broadcast/config.js';
import { groupMembers, resolveRecipients, selectPolicy } from '../../../../gateway/core/broadcast/policy.js';
import type { Site } from '../../../../gateway/contract/types.js';

const site = (id: string, n: string, contacts: Site['contacts']): Site => ({ id, name: `学校${n}`, district: 'd', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts });
const SITES: Site[] = [
  site('sch-01', '一', [
    { name: '一校门卫室', role: 'guard-post', phone: '13805710101', radio: 'tg-sch-01' },
    { name: '一校安保负责人', role: 'school-contact', phone: '13805710102' },
  ]),
  site('sch-02', '二', [
    { name: '二校门卫室', role: 'guard-post', phone: '13805710201', radio: 'tg-sch-02' },
    { name: '二校安保负责人', role: 'school-contact', phone: '13805710202' },
    { name: '二校校长', role: 'principal', phone: '13805710203' },
  ]),
];

describe('selectPolicy', () => {
  const cfg = resolveBroadcastConfig({
    policies: [
      { id: 'panic', alarmTypes: ['panic', 'barrier-impact'], groups: ['guard-posts'], template: 'panic' },
      { id: 'panic-sch-02', alarmTypes: ['panic'], sites: ['sch-02'], groups: ['station-patrol'], template: 'panic' },
      { id: 'drill', alarmTypes: ['panic'], drill: true, groups: ['guard-posts'], template: 'generic' },
    ],
  });
  const pick = (type: 'panic' | 'barrier-impact' | 'tamper', siteId: string, drill = false) => selectPolicy(cfg.policies, { type, siteId, drill })?.id;

  it('matches type and drill flag; a site-specific policy wins over a district-wide one', () => {
    expect([pick('panic', 'sch-01'), pick('panic', 'sch-02'), pick('barrier-impact', 'sch-02'), pick('panic', 'sch-02', true), pick('tamper', 'sch-01'), pick('barrier-impact', 'sch-01', true)]).toStrictEqual([
      'panic',
      'panic-sch-02',
      'panic',
      'drill',
      undefined,
      undefined,
    ]);
  });
});

describe('recipients', () => {
  const cfg = resolveBroadcastConfig({});

  it('draws guard posts and contacts from the alarm site, or from every site when none is given', () => {
    expect(groupMembers(cfg, 'guard-posts', SITES, 'sch-02')).toStrictEqual([
      { name: '二校门卫室', group: 'guard-posts', siteId: 'sch-02', phone: '13805710201', radio: { talkgroup: 'tg-sch-02' } },
    ]);
    expect(groupMembers(cfg, 'school-contacts', SITES).map((r) => r.phone)).toStrictEqual(['13805710102', '13805710202']);
    expect(groupMembers(cfg, 'all-guard-posts', SITES, 'sch-01').map((r) => r.siteId)).toStrictEqual(['sch-01', 'sch-02']);
  });

  it('lists each person once: the first group keeps them, later mentions add missing addresses', () => {
    const rs = resolveRecipients(cfg, ['station-patrol', 'guard-posts'], SITES, {
      siteId: 'sch-01',
      extra: [
        { name: '张伟 手机', phone: '+86 138 0571 9001' },
        { name: '一校门卫室', phone: '8613805710101' },
        { name: '临时联系人', radio: { talkgroup: 'tg-x', unit: 'X-1' } },
        { name: '门卫 手台', phone: '13805710101', radio: { talkgroup: 'tg-other' } },
      ],
    });
    expect(rs.map((r) => [r.name, r.group, r.phone, r.radio?.talkgroup, r.radio?.unit])).toStrictEqual([
      ['张伟（巡逻1组）', 'station-patrol', '13805719001', 'tg-patrol', 'P-01'],
      ['王磊（巡逻2组）', 'station-patrol', '13805719002', 'tg-patrol', 'P-02'],
      ['李强（巡逻3组）', 'station-patrol', '13805719003', 'tg-patrol', 'P-03'],
      ['刘洋（巡逻4组）', 'station-patrol', '13805719004', 'tg-patrol', 'P-04'],
      ['陈杰（巡逻5组）', 'station-patrol', '13805719005', 'tg-patrol', 'P-05'],
      ['杨帆（巡逻6组）', 'station-patrol', '13805719006', 'tg-patrol', 'P-06'],
      ['一校门卫室', 'guard-posts', '13805710101', 'tg-sch-01', undefined],
      ['临时联系人', 'ad-hoc', undefined, 'tg-x', 'X-1'],
    ]);
  });

  it('refuses unknown groups and sites with coded errors', () => {
    expect(() => resolveRecipients(cfg, ['nobody'], SITES)).toThrow(expect.objectContaining({ code: 'GW_ERR_BROADCAST_UNKNOWN_GROUP', statusCode: 400 }));
    expect(() => resolveRecipients(cfg, ['guard-posts'], SITES, { siteId: 'sch-99' })).toThrow(expect.objectContaining({ code: 'GW_ERR_BROADCAST_UNKNOWN_SITE' }));
  });
});

describe('on-call groups', () => {
  const cfg = resolveBroadcastConfig({ groups: { 'on-duty-supervisor': { name: '带班领导', oncallRole: 'supervisor' }, 'station-patrol': { name: '巡逻', members: [{ name: '张伟', phone: '13805719001' }] } } });
  const oncall = (role: string) => (role === 'supervisor' ? { name: '带班所领导 周立新', phone: '13805719211', radio: { talkgroup: 'tg-command', unit: 'S-01' } } : undefined);

  it('reach whoever is on call for the role now, and nobody without a roster', () => {
    expect(resolveRecipients(cfg, ['on-duty-supervisor', 'station-patrol'], SITES, { oncall })).toStrictEqual([
      { name: '带班所领导 周立新', group: 'on-duty-supervisor', phone: '13805719211', radio: { talkgroup: 'tg-command', unit: 'S-01' } },
      { name: '张伟', group: 'station-patrol', phone: '13805719001' },
    ]);
    expect(groupMembers(cfg, 'on-duty-supervisor', SITES)).toStrictEqual([]);
  });

  it('are refused with an unknown role or a second kind of member', () => {
    expect(() => resolveBroadcastConfig({ groups: { x: { name: 'x', oncallRole: 'janitor' } } })).toThrow(/\/broadcast\/groups\/x\/oncallRole/);
    expect(() => resolveBroadcastConfig({ groups: { x: { name: 'x', oncallRole: 'supervisor', contactRole: 'guard-post' } } })).toThrow('/broadcast/groups/x: needs exactly one of members, contactRole or oncallRole');
  });
});
