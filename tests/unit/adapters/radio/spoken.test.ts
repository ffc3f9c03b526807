import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spokenForm } from '../../../../adapters/radio/spoken.js';

describe('spokenForm', () => {
  it('drops the link and its lead-in, turns the tag and separators into pauses', () => {
    const text = '【一键报警】城东区第一中学 · 一键报警 门卫室 · 一键报警。请附近巡逻警力立即前往。详情 https://gw.example.cn/alarms/alm-7f3a9c21?x=1';
    expect(spokenForm(text)).toBe('一键报警，城东区第一中学，一键报警门卫室，一键报警。请附近巡逻警力立即前往。');
  });

  it('drops reference ids, labelled numbers and talkgroup ids but keeps what people say aloud', () => {
    const text = '警情编号：A20261105-0042，城东区第二小学东门有可疑人员持刀，请tg-patrol-01各巡逻组立即前往，联系电话13805710101，110已出警。';
    expect(spokenForm(text)).toBe('城东区第二小学东门有可疑人员持刀，请各巡逻组立即前往，110已出警。');
    expect(spokenForm('演练 08:15 2026-11-05 G15 A3 3号楼 #123 id: 7 😀')).toBe('演练 08:15 2026-11-05 G15 A3 3号楼');
    expect(spokenForm('8b4f2c1e-1111-2222-3333-444455556666 已处置')).toBe('已处置');
  });

  it('finds ids typed in full-width characters without turning Chinese punctuation into ASCII', () => {
    expect(spokenForm('设备ＡＬＭ１２３４５离线，请检查。')).toBe('设备离线，请检查。');
  });

  it('returns an empty string when nothing speakable is left', () => {
    expect(spokenForm('   ')).toBe('');
    expect(spokenForm('https://only.a.link/abc')).toBe('');
  });

  it('cuts a long text at the last sentence end within the limit', () => {
    const text = '城东区第一中学东门发生持刀伤人事件，嫌疑人已逃离现场。请附近巡逻警力立即前往增援并封锁路口。学校已启动应急预案，学生已疏散至操场集合。';
    expect(Array.from(text).length).toBeGreaterThan(60);
    expect(spokenForm(text)).toBe('城东区第一中学东门发生持刀伤人事件，嫌疑人已逃离现场。请附近巡逻警力立即前往增援并封锁路口。');
  });

  it('cuts at a clause break (ending the sentence) when no sentence end is far enough in', () => {
    const text = '城东区第一中学东门发生持刀伤人事件，嫌疑人身穿黑色外套向北逃离，请附近巡逻警力立即前往增援并封锁各个路口，学校已启动应急预案';
    expect(spokenForm(text)).toBe('城东区第一中学东门发生持刀伤人事件，嫌疑人身穿黑色外套向北逃离，请附近巡逻警力立即前往增援并封锁各个路口。');
  });

  it('cuts hard when there is no boundary at all', () => {
    const text = '一'.repeat(100);
    expect(spokenForm(text)).toBe('一'.repeat(60));
    expect(spokenForm(text, 12)).toBe('一'.repeat(12));
  });

  it('never exceeds the limit, counted in code points, and never keeps a link', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 10, max: 80 }), (s, max) => {
        const out = spokenForm(`${s} https://a.example/${s.length}`, max);
        expect(Array.from(out).length).toBeLessThanOrEqual(max);
        expect(out).not.toMatch(/https?:\/\//u);
      }),
    );
  });
});
