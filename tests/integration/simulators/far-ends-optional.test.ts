/**
 * A missing optional part never stops the simulated district: without a runnable ffmpeg the
 * camera simulators are left out with one clear line, and every other far end runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { loadConfig } from '../../../gateway/config/load.js';
import { startFarEnds, type FarEnds } from '../../../simulators/far-ends.js';
import { EPHEMERAL_FAR_ENDS } from '../../helpers/gateway-process.js';

describe('far ends without ffmpeg', () => {
  let farEnds: FarEnds | undefined;
  const saved = process.env.FFMPEG_PATH;
  afterEach(async () => {
    await farEnds?.stop();
    if (saved === undefined) delete process.env.FFMPEG_PATH;
    else process.env.FFMPEG_PATH = saved;
  });

  it('starts every far end but the cameras, and says why in one line', async () => {
    process.env.FFMPEG_PATH = '/nonexistent/ffmpeg';
    const lines: { level: number; msg: string }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
    const { config } = loadConfig({ env: {}, overrides: EPHEMERAL_FAR_ENDS });
    farEnds = await startFarEnds(config, log);
    // Both 110 receivers, the SMS centre and the Modbus controller; no camera fleet.
    expect(farEnds.simulators.map((s) => s.adapter)).toStrictEqual(['alarm-centre-dc09', 'sms-smpp', 'barrier-modbus']);
    expect(farEnds.simulators[0]?.farEnds?.().map(([id]) => id)).toStrictEqual(['110-primary', '110-secondary']);
    const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings).toStrictEqual([expect.stringMatching(/^camera simulators not started \(20 cameras will show unreachable\): .*\/nonexistent\/ffmpeg/)]);
  });
});
