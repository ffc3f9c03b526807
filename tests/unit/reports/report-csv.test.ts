import { describe, expect, it } from 'vitest';
import { CSV_BOM, csvCell, renderCsv } from '../../../gateway/reports/report-csv.js';
import { memoryStore, result, sealSweep, T_REPORT } from './fixtures.js';

/** RFC 4180 reader, just enough to read our own output back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endCell();
    else if (c === '\r' && text[i + 1] === '\n') {
      endCell();
      rows.push(row);
      row = [];
      i++;
    } else cell += c;
  }
  return rows;
}

describe('CSV report', () => {
  it('escapes cells after RFC 4180 and never leaves a formula for a spreadsheet to run', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell(-71)).toBe('-71');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(true)).toBe('true');
  });

  it('writes UTF-8 with a BOM, CRLF records of equal width, every device, and the integrity trailer', async () => {
    const { store } = memoryStore();
    const report = await sealSweep(
      store,
      'sw-1',
      [
        result('s01-btn-1', 's01', {
          status: 'degraded',
          reasons: [{ code: 'fault', detail: 'E12, "board"\nreplaced' }],
          evidence: { rssi: -71, thumb: 'data:image/png;base64,iVBORw0KGgo=' },
        }),
        result('s02-btn-1', 's02', { lastSeen: undefined, status: 'unknown', reasons: [{ code: 'no-heartbeat', detail: 'never' }] }),
        result('s02-btn-2', 's02'),
      ],
      {
        district: { id: 'd1', name: '城东区' },
        sites: [{ id: 's01', name: '第一中学, 东校区' }, { id: 's02', name: '第二中学' }],
        devices: { 's01-btn-1': { name: '一键报警 "门卫室"', adapter: 'mqtt-native' }, 's02-btn-1': { name: '=cmd', adapter: 'mqtt-native' }, 's02-btn-2': { name: 'b', adapter: 'mqtt-native' } },
      },
    );
    const csv = renderCsv(report);
    expect(csv.startsWith(CSV_BOM)).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replace(/\r\n/g, '').includes('\n')).toBe(true); // only inside the quoted detail
    const rows = parseCsv(csv.slice(1));
    expect(new Set(rows.map((r) => r.length))).toStrictEqual(new Set([13]));
    expect(rows[0]?.[1]).toBe('学校 School');
    expect(rows[1]).toStrictEqual([
      's01', '第一中学, 东校区', 's01-btn-1', '一键报警 "门卫室"', '一键报警 Alarm button', 'degraded 异常', '1',
      'fault 硬件故障: E12, "board"\nreplaced', '2026-11-23T07:59:55+08:00', '2026-11-23T08:00:01+08:00', '3', 'passive', 'rssi=-71; thumb=[image]',
    ]);
    expect(rows[2]?.slice(0, 9)).toStrictEqual(['s02', '第二中学', 's02-btn-1', "'=cmd", '一键报警 Alarm button', 'unknown 未知', '1', 'no-heartbeat 无心跳（长时间未上报）: never', '']);
    expect(rows[3]?.[6]).toBe('0');
    expect(rows[4]?.every((c) => c === '')).toBe(true);
    expect(rows[5]?.slice(0, 4)).toStrictEqual(['报告校验 Report integrity', 'sweep=sw-1', 'seq=1', `sha256=${report.integrity.hash}`]);
    expect(rows).toHaveLength(6);
    expect(report.sweep.createdAt).toBe(T_REPORT);
  });
});
