import { describe, expect, it } from 'vitest';
import { ACTION_OF, decodeStatus } from '../../../../adapters/barrier-http-acme/codec.js';

describe('GateKeeper status codec', () => {
  it('reads a status document as an observation in the vocabulary', () => {
    expect(decodeStatus({ state: 'DOWN', hits: 7, alarms: ['MOTOR', 'LIMIT SWITCH'], manual: true })).toStrictEqual({
      ok: true,
      observation: { position: 'lowered', faults: ['motor', 'limit-switch'], impactCount: 7, manualOverride: true, positionData: { raw: 'DOWN' } },
    });
    expect(decodeStatus({ state: 'ERROR', hits: 0, alarms: [], manual: false })).toMatchObject({ ok: true, observation: { position: 'fault' } });
  });

  it('says why a document is unreadable', () => {
    expect(decodeStatus({ state: 'SIDEWAYS', hits: 1, alarms: [], manual: false })).toMatchObject({ ok: false, detail: expect.stringMatching(/^\/state: /) as unknown });
    expect(decodeStatus('<html>')).toMatchObject({ ok: false });
  });

  it('maps commands to GateKeeper actions', () => {
    expect(ACTION_OF).toStrictEqual({ raise: 'UP', lower: 'DOWN' });
  });
});
