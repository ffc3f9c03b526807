/**
 * The ISMG simulator registers from its own folder: a configuration with adapters.sms-cmpp on
 * loopback starts it (on the ephemeral port asked for, with the configured SP_Id and secret), and
 * the simulator control shows it as a far end that goes down and comes up.
 */
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatorControl } from '../../../../simulators/control.js';
import { startFarEnds, type FarEnds } from '../../../../simulators/far-ends.js';
import { CMPP_FAR_END_ID } from '../../../../simulators/sms-cmpp/plugin.js';
import { tempDir } from '../../../helpers/gateway.js';
import { oneSiteConfig } from '../../../helpers/one-site.js';

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

describe('CMPP ISMG simulator plugin', () => {
  const dataDir = tempDir();
  let farEnds: FarEnds | undefined;
  afterAll(async () => {
    await farEnds?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is started from adapters.sms-cmpp and taken down and up through the simulator control', async () => {
    const loaded = oneSiteConfig({ devices: [], adapters: { 'sms-cmpp': { host: '127.0.0.1', port: 0, spId: '901234', sharedSecret: 's3cret', srcId: '1065710001' } } }, dataDir);
    farEnds = await startFarEnds(loaded.config, pino({ level: 'silent' }));
    expect([farEnds.simulators.map((s) => s.adapter), farEnds.rebound]).toStrictEqual([['sms-cmpp'], true]);
    const port = (farEnds.overrides as { adapters: Record<string, { port: number }> }).adapters['sms-cmpp']?.port ?? 0;
    expect(await reachable(port)).toBe(true);

    const control = new SimulatorControl({ devices: loaded.devices, simulators: farEnds.simulators });
    expect(control.get(CMPP_FAR_END_ID)).toMatchObject({ kind: 'sms', simulator: 'sms-ismg', state: 'up', actions: ['down', 'up'] });
    expect((await control.act(CMPP_FAR_END_ID, { action: 'down' })).state).toBe('down');
    expect(await reachable(port)).toBe(false);
    expect((await control.act(CMPP_FAR_END_ID, { action: 'up' })).state).toBe('up');
    expect(await reachable(port)).toBe(true);
  });
});
