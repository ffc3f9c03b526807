import { afterEach, describe, expect, it } from 'vitest';
import { startGbHarness, type GbHarness } from './harness.js';

describe('smoke', () => {
  let h: GbHarness | undefined;
  afterEach(async () => h?.close());
  it('registers', async () => {
    h = await startGbHarness();
    const nvr = h.nvr();
    expect(await nvr.start()).toBe(200);
    await h.ctx.waitForCondition('sch-06-cam-1', 'gb-channel-off', false);
    console.log(h.ctx.conditions, h.ctx.rejects);
  });
});
