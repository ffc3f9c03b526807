/** Escalation configuration: the defaults the issue asks for, and what the schema cannot check. */
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { EscalationConfigSchema, escalationConfigErrors, type EscalationConfig } from '../../../../gateway/core/escalation/config.js';
import { plan } from '../../../../gateway/core/escalation/schedule.js';

const cfg = (over: Record<string, unknown> = {}) => Value.Default(EscalationConfigSchema, structuredClone(over)) as EscalationConfig;

describe('escalation config', () => {
  it('defaults: panic and barrier-impact go to the supervisor at 60 s and the chief at 180 s, three passes', () => {
    const [real, drill] = cfg().policies;
    expect([real?.alarmTypes, real?.drill, drill?.drill, real?.repeat]).toStrictEqual([['panic', 'barrier-impact'], false, true, 2]);
    expect(plan(real as EscalationConfig['policies'][number], 0).map((p) => [p.round, p.step, p.dueAt / 1000])).toStrictEqual([
      [1, 1, 60],
      [1, 2, 180],
      [2, 1, 240],
      [2, 2, 360],
      [3, 1, 420],
      [3, 2, 540],
    ]);
    expect(escalationConfigErrors(cfg(), ['station-patrol'])).toStrictEqual([]);
  });

  it('names steps out of order, unknown roles or groups, duplicate ids, radio to nobody and short rounds', () => {
    const bad = cfg({
      policies: [
        { id: 'p', alarmTypes: ['panic'], steps: [{ afterSeconds: 60, notify: ['janitor'], channels: ['sms'] }, { afterSeconds: 30, notify: [], channels: ['radio'] }], roundSeconds: 10 },
        { id: 'p', alarmTypes: ['tamper'], steps: [{ afterSeconds: 5, notify: ['station-patrol'], channels: ['board'] }] },
      ],
    });
    expect(escalationConfigErrors(bad, ['station-patrol'])).toStrictEqual([
      "/escalation/policies/0/steps/0/notify/0: 'janitor' is neither an on-call role (duty-officer, supervisor, station-chief, technician) nor a broadcast group",
      "/escalation/policies/0/steps/1/afterSeconds: must be after the previous step's (60)",
      '/escalation/policies/0/steps/1/notify: radio and sms need someone to notify',
      "/escalation/policies/0/roundSeconds: shorter than the last step's afterSeconds (30)",
      "/escalation/policies/1/id: duplicate policy 'p'",
    ]);
  });
});
