/**
 * A vendor's simulator registers from its own folder: the far ends of a configuration that
 * names GateKeeper controllers include its simulator (on the ephemeral port asked for), and the
 * simulator control shows and drives its barrier, with no edit to far-ends.ts or control.ts.
 */
import { rmSync } from 'node:fs';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatorControl } from '../../../../simulators/control.js';
import { startFarEnds, type FarEnds } from '../../../../simulators/far-ends.js';
import { eventually, tempDir } from '../../../helpers/gateway.js';
import { oneSiteConfig } from '../../../helpers/one-site.js';

const GATE = 'sch-01-bar-9';

describe('GateKeeper simulator plugin', () => {
  const dataDir = tempDir();
  let farEnds: FarEnds | undefined;
  afterAll(async () => {
    await farEnds?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is started from the configuration and driven through the simulator control', async () => {
    const loaded = oneSiteConfig(
      {
        devices: [{ id: GATE, kind: 'barrier', adapter: 'barrier-http-acme', name: '北门防冲撞', options: { controller: 'north', unit: 1 } }],
        adapters: { 'barrier-http-acme': { controllers: { north: { host: '127.0.0.1', port: 0, apiKey: 'k-1' } } } },
      },
      dataDir,
    );
    farEnds = await startFarEnds(loaded.config, pino({ level: 'silent' }));
    expect([farEnds.simulators.map((s) => s.adapter), farEnds.rebound]).toStrictEqual([['barrier-http-acme'], true]);
    const bound = (farEnds.overrides as { adapters: Record<string, { controllers: Record<string, { port: number }> }> }).adapters['barrier-http-acme']?.controllers.north?.port;
    expect(bound).toBeGreaterThan(0);

    const control = new SimulatorControl({ devices: loaded.devices, simulators: farEnds.simulators });
    expect(control.get(GATE)).toMatchObject({ simulator: 'acme-gatekeeper', state: 'online', barrier: { position: 'raised', impactCount: 0 } });
    await control.act(GATE, { action: 'lower' });
    await eventually(() => control.get(GATE)?.barrier?.position === 'lowered');
    expect((await control.act(GATE, { action: 'impact' })).barrier?.impactCount).toBe(1);
    expect((await control.act(GATE, { action: 'fault', fault: 'MOTOR' })).faults).toStrictEqual(['MOTOR']);
  });
});
