import { describe, expect, it } from 'vitest';
import { PressPathRecorder, type PressStage } from '../../../../gateway/core/alarms/press-path.js';

const arrival = (t: number) => ({ receivedAt: t, decodedAt: t + 1, deviceId: 'btn', seq: t });

describe('PressPathRecorder', () => {
  it('keeps the newest `capacity` presses, oldest first, and ignores deliveries of alarms it does not hold', () => {
    const r = new PressPathRecorder(3);
    for (let i = 1; i <= 5; i++) r.committed(`a${i}`, arrival(i * 10), i * 10 + 3);
    r.delivered('a1', { writtenAt: 100 }); // dropped from the ring
    r.delivered('unknown', { writtenAt: 100 });
    expect(r.recent().map((p) => [p.alarmId, p.seq, p.frameWrittenAt])).toStrictEqual([
      ['a3', 30, undefined],
      ['a4', 40, undefined],
      ['a5', 50, undefined],
    ]);
  });

  it('hands each hop to the listeners as it completes, the first acknowledgement only', () => {
    const r = new PressPathRecorder();
    const seen: [PressStage, number][] = [];
    r.onStage(() => {
      throw new Error('a broken listener');
    });
    const stop = r.onStage((stage, seconds) => seen.push([stage, Math.round(seconds * 1e6)]));
    r.committed('a', { receivedAt: 1000, decodedAt: 1000.25 }, 1002);
    r.delivered('a', { writtenAt: 1003, answeredAt: 1007.5, receiver: 'primary', attempt: 1 });
    r.delivered('a', { writtenAt: 2000, answeredAt: 3000 });
    stop();
    r.committed('b', { receivedAt: 1, decodedAt: 2 }, 3);
    expect(seen).toStrictEqual([
      ['receive-decode', 250],
      ['decode-commit', 1750],
      ['commit-frame', 1000],
      ['frame-ack', 4500],
    ]);
    expect(r.recent()[0]).toStrictEqual({ alarmId: 'a', receivedAt: 1000, decodedAt: 1000.25, committedAt: 1002, frameWrittenAt: 1003, ackedAt: 1007.5, receiver: 'primary', attempt: 1 });
  });
});
