import { describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATES } from '../../../../gateway/core/broadcast/config.js';
import { formatLocalTime, renderTemplate, templatePlaceholders, templateVars } from '../../../../gateway/core/broadcast/template.js';
import type { Alarm, Device, Site } from '../../../../gateway/contract/types.js';

const site: Site = { id: 'sch-01', name: '城东区第一中学', district: 'chengdong', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] };
const device: Device = { id: 'sch-01-btn-1', siteId: 'sch-01', kind: 'alarm-button', adapter: 'mqtt-native', name: '一键报警 门卫室', options: {} };
// 2026-11-03 06:05:00 UTC = 14:05 in Shanghai.
const AT = Date.UTC(2026, 10, 3, 6, 5, 0);
const alarm: Alarm = {
  id: 'a1', type: 'panic', severity: 'critical', siteId: 'sch-01', deviceId: 'sch-01-btn-1', state: 'active', raisedAt: AT, updatedAt: AT,
  repeats: 0, drill: false, summary: '城东区第一中学 · 一键报警 门卫室 · 一键报警', timeline: [],
};

describe('templates', () => {
  it('renders the default panic message with school, device, local time and reply codes', () => {
    const vars = templateVars({ alarm, site, device, codes: ['1', '收到'], at: AT + 5000 });
    expect(vars).toStrictEqual({
      school: '城东区第一中学',
      device: '一键报警 门卫室',
      summary: '城东区第一中学 · 一键报警 门卫室 · 一键报警',
      time: '11月3日 14:05',
      type: '一键报警',
      reply: '“1”或“收到”',
    });
    expect(renderTemplate(DEFAULT_TEMPLATES.panic as string, vars)).toBe(
      '【城东区校园安全】城东区第一中学于11月3日 14:05一键报警（一键报警 门卫室）。请就近巡逻民警立即赶赴，门卫室关闭校门。收到请回复“1”或“收到”。',
    );
  });

  it('drops brackets a missing value leaves empty and keeps unknown placeholders as written', () => {
    expect(renderTemplate('{school}报警（{device}）{nope} (x{device})', { school: '二中' })).toBe('二中报警{nope} (x)');
    expect(templatePlaceholders('a {school} b {time}{weather}')).toStrictEqual(['school', 'time', 'weather']);
  });

  it('formats the time in the school time zone, not the server one', () => {
    expect(formatLocalTime(Date.UTC(2026, 11, 31, 16, 30), 'Asia/Shanghai')).toBe('1月1日 00:30');
    expect(formatLocalTime(Date.UTC(2026, 11, 31, 16, 30), 'UTC')).toBe('12月31日 16:30');
  });

  it('fills what it can for a manual broadcast without an alarm', () => {
    expect(templateVars({ site, codes: ['1'], at: AT })).toStrictEqual({ school: '城东区第一中学', device: '', summary: '', time: '11月3日 14:05', type: '', reply: '“1”' });
  });
});
