import { describe, expect, it } from 'vitest';
import { CAMERA_CONDITIONS, ConditionTracker } from '../../../../adapters/camera-onvif/conditions.js';
import type { RecordedCondition } from '../../../helpers/fake-context.js';

function tracker() {
  const calls: RecordedCondition[] = [];
  const t = new ConditionTracker((deviceId, code, active, detail) => {
    calls.push(detail === undefined ? { deviceId, code, active } : { deviceId, code, active, detail });
  });
  return { t, calls };
}

describe('ConditionTracker', () => {
  it('reports every camera code the first time, so stale conditions are cleared', () => {
    const { t, calls } = tracker();
    t.update('cam-1', 'check', [{ code: 'image-black', detail: 'dark' }]);
    expect(calls).toStrictEqual(
      CAMERA_CONDITIONS.map((code) =>
        code === 'image-black' ? { deviceId: 'cam-1', code, active: true, detail: 'dark' } : { deviceId: 'cam-1', code, active: false },
      ),
    );
  });

  it('then reports only changes, set and clear', () => {
    const { t, calls } = tracker();
    t.update('cam-1', 'check', []);
    calls.length = 0;
    t.update('cam-1', 'check', [{ code: 'unreachable', detail: 'timeout' }]);
    t.update('cam-1', 'check', [{ code: 'unreachable', detail: 'timeout again' }]);
    t.update('cam-1', 'check', []);
    expect(calls).toStrictEqual([
      { deviceId: 'cam-1', code: 'unreachable', active: true, detail: 'timeout' },
      { deviceId: 'cam-1', code: 'unreachable', active: false },
    ]);
  });

  it('keeps a condition on while either source has it', () => {
    const { t, calls } = tracker();
    t.update('cam-1', 'check', []);
    calls.length = 0;
    t.set('cam-1', 'events', 'stream-down', true, 'video loss');
    t.update('cam-1', 'check', [{ code: 'stream-down', detail: 'no frames' }]);
    t.set('cam-1', 'events', 'stream-down', false);
    expect(t.active('cam-1')).toStrictEqual(['stream-down']);
    t.update('cam-1', 'check', []);
    expect(t.active('cam-1')).toStrictEqual([]);
    expect(calls).toStrictEqual([
      { deviceId: 'cam-1', code: 'stream-down', active: true, detail: 'video loss' },
      { deviceId: 'cam-1', code: 'stream-down', active: false },
    ]);
  });
});
