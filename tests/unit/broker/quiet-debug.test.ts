/**
 * gateway/broker/quiet-debug.ts, in fresh processes (the module cache of a test worker may
 * already hold mqtt-packet): aedes's mqtt-packet gets parameterless loggers while DEBUG does not
 * name it, still parses, and traces as before when DEBUG does.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SHIM = pathToFileURL(fileURLToPath(new URL('../../../gateway/broker/quiet-debug.ts', import.meta.url))).href;

/** Loads the shim (first, as broker.ts does), then mqtt-packet as aedes resolves it; parses a PINGREQ. */
const PROBE = `
import(${JSON.stringify(SHIM)}).then(() => {
  const { createRequire } = require('node:module');
  const fromAedes = createRequire(require.resolve('aedes'));
  const fromPacket = createRequire(fromAedes.resolve('mqtt-packet'));
  const parserLog = fromPacket('debug')('mqtt-packet:parser');
  const otherLog = fromPacket('debug')('aedes:client');
  const parser = fromPacket('mqtt-packet').parser();
  let got;
  parser.on('packet', (p) => (got = p.cmd));
  parser.parse(Buffer.from([0xc0, 0x00]));
  console.log(JSON.stringify({ parser: { name: parserLog.name, enabled: parserLog.enabled, params: parserLog.length }, other: otherLog.name, got }));
});`;

async function probe(env: Record<string, string>): Promise<{ out: { parser: { name: string; enabled: boolean; params: number }; other: string; got: string }; stderr: string }> {
  const { DEBUG: _drop, ...base } = process.env;
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', '-e', PROBE], { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000 });
  return { out: JSON.parse(stdout.trim().split('\n').pop() as string) as never, stderr };
}

describe('quiet debug for mqtt-packet', () => {
  it('gives mqtt-packet loggers without parameters (no rest array per call) while DEBUG does not name them', async () => {
    const { out, stderr } = await probe({});
    expect(out).toStrictEqual({ parser: { name: 'quiet', enabled: false, params: 0 }, other: 'debug', got: 'pingreq' });
    expect(stderr).toBe('');
  }, 60_000);

  it("keeps debug's own logger, and its trace, when DEBUG names mqtt-packet", async () => {
    const { out, stderr } = await probe({ DEBUG: 'mqtt-packet:*', DEBUG_COLORS: 'no' });
    expect(out).toMatchObject({ parser: { name: 'debug', enabled: true }, got: 'pingreq' });
    expect(stderr).toMatch(/mqtt-packet:parser _newPacket: parser emit packet: packet.cmd: pingreq/);
  }, 60_000);
});
