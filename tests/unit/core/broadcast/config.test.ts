import { describe, expect, it } from 'vitest';
import { BroadcastConfigSchema, resolveBroadcastConfig } from '../../../../gateway/core/broadcast/config.js';

describe('broadcast config', () => {
  it('defaults to the demo district: six patrol officers on tg-patrol, site-derived guard posts and contacts', () => {
    const cfg = resolveBroadcastConfig(undefined);
    expect(cfg.groups['station-patrol']?.members).toStrictEqual([
      { name: '张伟（巡逻1组）', phone: '13805719001', radio: { talkgroup: 'tg-patrol', unit: 'P-01' } },
      { name: '王磊（巡逻2组）', phone: '13805719002', radio: { talkgroup: 'tg-patrol', unit: 'P-02' } },
      { name: '李强（巡逻3组）', phone: '13805719003', radio: { talkgroup: 'tg-patrol', unit: 'P-03' } },
      { name: '刘洋（巡逻4组）', phone: '13805719004', radio: { talkgroup: 'tg-patrol', unit: 'P-04' } },
      { name: '陈杰（巡逻5组）', phone: '13805719005', radio: { talkgroup: 'tg-patrol', unit: 'P-05' } },
      { name: '杨帆（巡逻6组）', phone: '13805719006', radio: { talkgroup: 'tg-patrol', unit: 'P-06' } },
    ]);
    expect(cfg.groups['guard-posts']).toStrictEqual({ name: '学校门卫室', contactRole: 'guard-post', scope: 'alarm-site' });
    expect(cfg.groups['school-contacts']).toStrictEqual({ name: '学校安保负责人', contactRole: 'school-contact', scope: 'alarm-site' });
    expect(cfg.policies.map((p) => [p.id, p.alarmTypes, p.drill, p.channels, p.fallbackAfterSeconds])).toStrictEqual([
      ['panic', ['panic'], false, ['radio', 'sms'], 60],
      ['barrier-impact', ['barrier-impact'], false, ['radio', 'sms'], 60],
      ['barrier-down-in-window', ['barrier-down-in-window'], false, ['radio', 'sms'], 120],
      ['drill', ['panic', 'barrier-impact'], true, ['radio', 'sms'], 60],
    ]);
    expect(cfg.rateLimits).toStrictEqual({ sms: { perSecond: 50, burst: 100 }, radio: { perSecond: 1, burst: 10 } });
    expect(cfg.rollCall).toStrictEqual({ codes: ['1', '收到'], windowSeconds: 1800 });
    expect(cfg.manual).toStrictEqual({ channels: ['radio', 'sms'], fallbackAfterSeconds: 60, fallbackUnless: 'delivered' });
    expect(cfg.drillPrefix).toBe('【演练】');
    expect(cfg.enabled).toBe(true);
  });

  it('keeps the default groups, templates and other channel limits when a site adds its own', () => {
    const cfg = resolveBroadcastConfig({
      groups: { 'night-shift': { name: '夜班', members: [{ name: '赵六', phone: '13900000001' }] } },
      templates: { short: '{school}报警' },
      policies: [{ id: 'p', alarmTypes: ['tamper'], groups: ['night-shift', 'guard-posts'], template: 'short' }],
    });
    expect(resolveBroadcastConfig({ rateLimits: { sms: { perSecond: 200, burst: 400 } } }).rateLimits).toStrictEqual({
      sms: { perSecond: 200, burst: 400 },
      radio: { perSecond: 1, burst: 10 },
    });
    expect(Object.keys(cfg.groups).sort()).toStrictEqual(['all-guard-posts', 'guard-posts', 'night-shift', 'oncall-station-chief', 'oncall-supervisor', 'school-contacts', 'station-patrol']);
    expect(cfg.templates.panic).toContain('{school}');
    expect(cfg.policies).toStrictEqual([
      { id: 'p', alarmTypes: ['tamper'], drill: false, groups: ['night-shift', 'guard-posts'], channels: ['radio', 'sms'], fallbackAfterSeconds: 60, fallbackUnless: 'delivered', template: 'short' },
    ]);
  });

  it('refuses bad references, group shapes and placeholders, listing every path', () => {
    let message = '';
    try {
      resolveBroadcastConfig({
        groups: { both: { name: 'x', members: [{ name: 'a', phone: '13900000001' }], contactRole: 'guard-post' }, mute: { name: 'y', members: [{ name: 'b' }] } },
        templates: { bad: '{school} {weather}' },
        policies: [
          { id: 'p', alarmTypes: ['panic'], groups: ['nobody'], template: 'missing' },
          { id: 'p', alarmTypes: ['panic'], groups: ['guard-posts'], template: 'bad' },
        ],
      });
    } catch (err) {
      expect(err).toMatchObject({ code: 'GW_ERR_CONFIG_INVALID', statusCode: 500 });
      message = (err as Error).message;
    }
    expect(message.replace(/^configuration is invalid: broadcast config invalid: /, '').split('; ')).toStrictEqual([
      '/broadcast/groups/both: needs exactly one of members, contactRole or oncallRole',
      '/broadcast/groups/mute/members/0: needs a phone or a radio',
      "/broadcast/policies/0/groups/0: unknown group 'nobody'",
      "/broadcast/policies/0/template: unknown template 'missing'",
      "/broadcast/policies/1/id: duplicate policy 'p'",
      '/broadcast/templates/bad: unknown placeholder {weather} (known: school, device, summary, time, type, reply)',
    ]);
    expect(() => resolveBroadcastConfig({ rateLimits: { sms: { perSecond: 0, burst: 1 }, radio: { perSecond: 1, burst: 1 } } })).toThrow(
      /\/broadcast\/rateLimits\/sms\/perSecond/,
    );
    expect(() => resolveBroadcastConfig({ groups: { 'Night Shift': { name: 'x', contactRole: 'guard-post' } } })).toThrow(/\/broadcast\/groups\/Night Shift: Unexpected property/);
    expect(() => resolveBroadcastConfig({ policies: [{ id: 'p', alarmTypes: ['panic'], sites: ['sch-99'], groups: ['guard-posts'], template: 'panic' }] }, ['sch-01'])).toThrow(
      "/broadcast/policies/0/sites/0: unknown site 'sch-99'",
    );
    expect(() => resolveBroadcastConfig({ policies: [{ id: 'p', alarmTypes: ['panic'], groups: ['guard-posts'], template: 'panic', channels: ['fax'] }] })).toThrow(
      /\/broadcast\/policies\/0\/channels\/0/,
    );
  });

  it('is a TypeBox object schema with a default, so the gateway config can embed it as `broadcast`', () => {
    expect(BroadcastConfigSchema.type).toBe('object');
    expect(BroadcastConfigSchema.default).toStrictEqual({});
    expect(BroadcastConfigSchema.additionalProperties).toBe(false);
  });
});
