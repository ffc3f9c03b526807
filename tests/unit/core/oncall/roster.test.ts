/**
 * The on-call roster: weekly shifts in the roster's time zone (past midnight too), overrides
 * on top (the newest in force wins), and the service's audited, validated overrides.
 */
import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { systemClock, type Clock } from '../../../../gateway/contract/clock.js';
import { OnCallConfigSchema, onCallConfigErrors, type OnCallConfig } from '../../../../gateway/core/oncall/config.js';
import { Roster } from '../../../../gateway/core/oncall/roster.js';
import { OnCallService, type OnCallOverride } from '../../../../gateway/core/oncall/service.js';

const CFG = Value.Default(OnCallConfigSchema, {
  timeZone: 'Asia/Shanghai',
  people: {
    zhou: { name: '带班所领导 周立新', phone: '13805719211' },
    sun: { name: '带班所领导 孙海涛', radio: { talkgroup: 'tg-command', unit: 'S-02' } },
  },
  shifts: [
    { role: 'supervisor', person: 'zhou', days: [1, 2, 3, 4, 5], start: '08:00', end: '20:00' },
    { role: 'supervisor', person: 'sun', days: [1, 2, 3, 4, 5], start: '20:00', end: '08:00' },
  ],
}) as OnCallConfig;
// Shanghai is UTC+8: local 2026-11-06 (Friday) 09:00 = 01:00 UTC.
const FRI_0900 = Date.UTC(2026, 10, 6, 1, 0);
const HOUR = 3_600_000;

describe('Roster', () => {
  it('finds the shift in force in the roster time zone, past midnight into the next day', () => {
    const r = new Roster(CFG);
    expect(r.onDuty('supervisor', FRI_0900)).toStrictEqual({ role: 'supervisor', personId: 'zhou', person: CFG.people.zhou, source: 'shift', from: FRI_0900 - HOUR, until: FRI_0900 + 11 * HOUR });
    // Friday 23:00 and Saturday 03:00 local: Friday's night shift; Saturday 09:00: nobody.
    expect(r.onDuty('supervisor', FRI_0900 + 14 * HOUR)?.personId).toBe('sun');
    expect(r.onDuty('supervisor', FRI_0900 + 18 * HOUR)).toMatchObject({ personId: 'sun', until: FRI_0900 + 23 * HOUR });
    expect(r.onDuty('supervisor', FRI_0900 + 24 * HOUR)).toBeUndefined();
    expect(r.onDuty('station-chief', FRI_0900)).toBeUndefined();
  });

  it('lets an override in force win, the newest first, and only while it lasts', () => {
    const r = new Roster(CFG);
    const o = (id: string, createdAt: number, extra: Partial<OnCallOverride>): OnCallOverride => ({ id, role: 'supervisor', from: FRI_0900, until: FRI_0900 + 2 * HOUR, by: 'admin', createdAt, ...extra });
    const overrides = [o('a', 1, { person: 'sun' }), o('b', 2, { contact: { name: '临时 吴建华', phone: '13805719222' }, until: FRI_0900 + HOUR })];
    expect(r.onDuty('supervisor', FRI_0900 + 1, overrides)).toStrictEqual({ role: 'supervisor', person: { name: '临时 吴建华', phone: '13805719222' }, source: 'override', from: FRI_0900, until: FRI_0900 + HOUR, overrideId: 'b' });
    expect(r.onDuty('supervisor', FRI_0900 + HOUR, overrides)).toMatchObject({ personId: 'sun', source: 'override', overrideId: 'a' });
    expect(r.onDuty('supervisor', FRI_0900 + 2 * HOUR, overrides)).toMatchObject({ personId: 'zhou', source: 'shift' });
  });

  it('refuses shifts naming unknown people, empty shifts and unknown time zones', () => {
    const bad = { ...CFG, timeZone: 'Mars/Olympus', shifts: [{ role: 'technician' as const, person: 'nobody', days: [1], start: '08:00', end: '08:00' }] };
    expect(onCallConfigErrors(bad)).toStrictEqual([
      "/oncall/timeZone: unknown time zone 'Mars/Olympus'",
      "/oncall/shifts/0/person: unknown person 'nobody'",
      '/oncall/shifts/0/end: a shift cannot end when it starts',
    ]);
  });
});

describe('OnCallService', () => {
  const clock: Clock = { ...systemClock, now: () => FRI_0900 };
  function service() {
    const saved: OnCallOverride[] = [];
    const audits: { actor: string; action: string; target: string; detail: Record<string, unknown> }[] = [];
    const svc = new OnCallService({ config: CFG, repo: { listOverrides: async () => [...saved], saveOverride: async (o) => void saved.push(o) }, audit: { audit: async (e) => audits.push(e) }, clock });
    return { svc, saved, audits };
  }

  it('keeps and audits an override; who is on call changes at once', async () => {
    const { svc, saved, audits } = service();
    await svc.start();
    const o = await svc.addOverride({ role: 'supervisor', person: 'sun', until: FRI_0900 + HOUR, note: '周立新外出' }, 'supervisor', '127.0.0.1');
    expect(saved).toStrictEqual([o]);
    expect(audits).toStrictEqual([{ at: FRI_0900, actor: 'supervisor', action: 'oncall.override', target: 'supervisor', detail: { id: o.id, person: 'sun', from: FRI_0900, until: FRI_0900 + HOUR, note: '周立新外出' }, ip: '127.0.0.1' }]);
    expect(svc.onDutyCached('supervisor')?.personId).toBe('sun');
    const status = await svc.status();
    expect([status.onDuty.supervisor?.source, status.onDuty['station-chief'], status.overrides.map((x) => x.id)]).toStrictEqual(['override', null, [o.id]]);
  });

  it('refuses an override with a clear coded error', async () => {
    const { svc, saved } = service();
    const refusal = async (input: Parameters<OnCallService['addOverride']>[0]) => svc.addOverride(input, 'admin').then(() => 'accepted', (err: { code: string; message: string }) => `${err.code}: ${err.message}`);
    expect(await refusal({ role: 'janitor', person: 'sun', until: FRI_0900 + HOUR })).toBe("GW_ERR_ONCALL_INVALID: unknown on-call role 'janitor' (known: duty-officer, supervisor, station-chief, technician)");
    expect(await refusal({ role: 'supervisor', person: 'li', until: FRI_0900 + HOUR })).toBe("GW_ERR_ONCALL_INVALID: unknown person 'li' (known: zhou, sun)");
    expect(await refusal({ role: 'supervisor', until: FRI_0900 + HOUR })).toBe('GW_ERR_ONCALL_INVALID: give exactly one of person (a roster id) or contact');
    expect(await refusal({ role: 'supervisor', person: 'sun', until: FRI_0900 - 1 })).toBe('GW_ERR_ONCALL_INVALID: until must be after from');
    expect(saved).toStrictEqual([]);
  });
});
