import { describe, expect, it } from 'vitest';
import { HEALTH_REASONS } from '../../../gateway/contract/vocabulary.js';
import { escapeHtml, renderHtml } from '../../../gateway/reports/report-html.js';
import { REASON_LABELS } from '../../../gateway/reports/report-labels.js';
import { displayWidth, renderTable, textTable } from '../../../gateway/reports/report-table.js';
import { memoryStore, result, sealSweep } from './fixtures.js';

const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

function sample() {
  const { store } = memoryStore();
  return sealSweep(
    store,
    'sw-html',
    [
      result('s01-cam-1', 's01', {
        kind: 'camera',
        method: 'active',
        status: 'degraded',
        reasons: [{ code: 'image-black', detail: 'luma 3 <b>' }],
        evidence: { onvifLatencyMs: 41, snapshot: PNG, evil: 'javascript:alert(1)', svg: 'data:image/svg+xml;base64,PHN2Zz4=', messageId: 'R-77' },
      }),
      result('s01-btn-1', 's01'),
      result('s02-btn-1', 's02'),
    ],
    {
      district: { id: 'd1', name: '城东区', nameEn: 'Chengdong' },
      sites: [{ id: 's01', name: '第一中学' }, { id: 's02', name: '第二中学' }],
      devices: {
        's01-cam-1': { name: '<script>alert(1)</script>', adapter: 'camera-onvif' },
        's01-btn-1': { name: '按钮', adapter: 'mqtt-native' },
        's02-btn-1': { name: 'ok-button-s02', adapter: 'mqtt-native' },
      },
    },
  );
}

describe('HTML report', () => {
  it('prints Chinese headings first with English, the schools view, and every failing device with evidence', async () => {
    const html = renderHtml(await sample());
    expect(html.startsWith('<!doctype html>\n<html lang="zh-CN">')).toBe(true);
    expect(html).toContain('<h1>设备巡检报告<span class="en">Device health sweep report</span></h1>');
    for (const [zh, en] of [['概要', 'Summary'], ['按学校', 'By school'], ['按原因', 'By reason'], ['故障设备', 'Failing devices'], ['报告校验', 'Integrity']]) {
      expect(html).toContain(`<h2>${zh}<span class="en">${en}</span>`);
    }
    expect(html).toContain('2 所学校中 <span class="bad">1 所</span>有设备故障');
    expect(html).toContain('1 of 2 schools with faults; 3 of 3 devices checked: 2 OK, 1 failing.');
    expect(html).toContain('画面黑屏<span class="en">Black image</span><span class="code">image-black — luma 3 &lt;b&gt;</span>');
    expect(html).toContain('<b>时延 Latency</b><br>onvifLatencyMs=41');
    expect(html).toContain('<b>回执 Receipts</b><br>messageId=R-77');
    expect(html).toContain(`<img class="thumb" alt="snapshot" src="${PNG}">`);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/<img /g)).toHaveLength(1); // neither javascript: nor SVG become pictures
    expect(html).not.toContain('ok-button-s02'); // healthy devices are counted, not listed
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;');
  });

  it('has a Chinese and English label for every health reason', () => {
    const missing = HEALTH_REASONS.filter((code) => !REASON_LABELS[code]);
    expect(missing).toStrictEqual([]);
  });

  it('aligns terminal tables by display width (a Chinese character is two cells)', async () => {
    expect(displayWidth('第一中学')).toBe(8);
    expect(displayWidth('sch-01')).toBe(6);
    expect(textTable(['a', 'b'], [['第一', 'x'], ['ab', 'y']]).split('\n')).toStrictEqual(['a     b', '----  -', '第一  x', 'ab    y']);
    const text = renderTable(await sample());
    expect(text).toContain('学校 Schools: 1 of 2 with faults');
    expect(text).toContain('s01-cam-1');
    expect(text).not.toContain('s02-btn-1');
  });
});
