/**
 * The rules read the contract's vocabulary: which events raise which alarm (with the words of
 * the alarm-type catalogue), which data the summary shows, cancels as notes, reasons that are
 * alarms of their own; nothing of any protocol.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../../gateway/contract/clock.js';
import type { Device, DeviceEvent, Health, Site } from '../../../../gateway/contract/types.js';
import type { DeviceEventType } from '../../../../gateway/contract/vocabulary.js';
import { AlarmRules } from '../../../../gateway/core/alarms/rules.js';
import { AlarmService } from '../../../../gateway/core/alarms/service.js';
import { EventBus } from '../../../../gateway/core/bus.js';
import { SqliteStateStore } from '../../../../gateway/store/sqlite/state-store.js';
import { makeRegistry } from '../../../helpers/fake-context.js';

const site = (id: string, name: string): Site => ({ id, name, district: 'd', timeZone: 'Asia/Shanghai', protectionWindows: [], holidays: [], contacts: [] });
const DEVICES: Device[] = [
  { id: 'sch-01-btn-1', siteId: 'sch-01', kind: 'alarm-button', adapter: 'mqtt-native', name: '门卫室按钮', options: {} },
  { id: 'radio-1', siteId: 'police', kind: 'radio', adapter: 'radio', name: '对讲网关', options: {} },
  { id: 'link-110', siteId: 'police', kind: 'alarm-centre', adapter: 'alarm-centre-dc09', name: '110 链路', options: {} },
];

function setup(drilling?: string) {
  const alarms = new AlarmService(new SqliteStateStore('', { file: ':memory:' }), new EventBus(pino({ level: 'silent' })), systemClock);
  const registry = makeRegistry([site('sch-01', '一中'), site('sch-02', '二小'), site('police', '城东分局')], DEVICES);
  const rules = new AlarmRules(alarms, registry, systemClock, { offlineAlarmAfter: 0, isDrill: (s) => s === drilling }, pino({ level: 'silent' }));
  const event = (deviceId: string, type: DeviceEventType, data: DeviceEvent['data'] = {}): DeviceEvent => ({ id: 'e', deviceId, siteId: 'x', type, at: 1, receivedAt: 1, data });
  const brief = () => alarms.openAlarms().map((a) => [a.type, a.severity, a.siteId, a.summary, a.drill]);
  return { alarms, rules, event, brief };
}

describe('AlarmRules', () => {
  it("raises what the vocabulary says, with the catalogue's severity and words and the data the event's meaning names", async () => {
    const { rules, event, brief } = setup();
    await rules.onEvent(event('sch-01-btn-1', 'press', { detail: 'ignored: a press names no summary field' }));
    await rules.onEvent(event('sch-01-btn-1', 'fault', { code: 'E42' }));
    // A radio box serves many schools: the call belongs to the school it names.
    await rules.onEvent(event('radio-1', 'emergency-call', { siteId: 'sch-02', detail: 'tg-sch-02 hs-2', talkgroup: 'tg-sch-02' }));
    await rules.onEvent(event('sch-01-btn-1', 'telemetry', { battery: 3 }));
    expect(brief()).toStrictEqual([
      ['panic', 'critical', 'sch-01', '一中 · 门卫室按钮 · 一键报警', false],
      ['device-fault', 'minor', 'sch-01', '一中 · 门卫室按钮 · 设备故障 (E42)', false],
      ['panic', 'critical', 'sch-02', '二小 · 对讲网关 · 对讲紧急呼叫 (tg-sch-02 hs-2)', false],
    ]);
  });

  it('notes a cancel on the open panic without clearing it; a drilling school raises drills of drillable events only', async () => {
    const { rules, event, alarms, brief } = setup('sch-01');
    await rules.onEvent(event('sch-01-btn-1', 'press'));
    await rules.onEvent(event('sch-01-btn-1', 'cancel'));
    await rules.onEvent(event('sch-01-btn-1', 'tamper'));
    expect(brief().map(([type, , , , drill]) => [type, drill])).toStrictEqual([
      ['panic', true],
      ['tamper', false],
    ]);
    expect(alarms.openAlarms()[0]?.timeline.map((e) => e.action)).toStrictEqual(['raised', 'cancel-requested']);
  });

  it('raises a reason that is an alarm of its own when it appears, and clears it with the reason', async () => {
    const { rules, brief } = setup();
    const health = (codes: Health['reasons'][number]['code'][]): Health => ({ deviceId: 'link-110', siteId: 'police', kind: 'alarm-centre', status: 'offline', reasons: codes.map((code) => ({ code, since: 1 })), checkedAt: 1 });
    await rules.onHealth(health(['link-down']), health([]));
    expect(brief()).toStrictEqual([['link-down', 'critical', 'police', '110 链路 · 110 联网中断 (主备线路均不可用)', false]]);
    await rules.onHealth(health([]), health(['link-down']));
    expect(brief()).toStrictEqual([]);
  });
});
