/** The simulator's command line: help, listening on a free port, scenario commands on stdin. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import modbusSerial from 'modbus-serial';
import { describe, expect, it } from 'vitest';

const ModbusRTU = modbusSerial.default;
const CLI = 'simulators/barrier-modbus/cli.ts';
const TSX = 'node_modules/.bin/tsx';

describe('barrier simulator CLI', () => {
  it('prints its usage with --help', async () => {
    const child = spawn(TSX, [CLI, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(text).toContain('Usage: tsx simulators/barrier-modbus/cli.ts [options]');
    expect(text).toContain('unreachable [drop|silent] [unit]');
  });

  it('listens on a free port, obeys stdin commands, quits', async () => {
    const child = spawn(TSX, [CLI, '--port', '0', '--units', '1,2', '--travel-ms', '60000'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => JSON.parse(((await lines.next()).value as string) ?? 'null') as Record<string, unknown>;
    try {
      const listening = await next();
      expect(listening).toStrictEqual({ event: 'listening', host: '127.0.0.1', port: expect.any(Number), units: [1, 2] });

      child.stdin.write('lower 2\n');
      expect(await next()).toMatchObject({ event: 'state', unitId: 2, position: 'lowering' });
      child.stdin.write('fault nonsense\n');
      expect(await next()).toMatchObject({ event: 'error', message: expect.stringContaining('unknown fault nonsense') });

      const client = new ModbusRTU();
      await client.connectTCP('127.0.0.1', { port: listening.port as number });
      client.setID(2);
      expect((await client.readHoldingRegisters(0, 1)).data).toStrictEqual([4]);
      await new Promise<void>((resolve) => client.destroy(() => resolve()));

      child.stdin.write('quit\n');
      expect(await next()).toStrictEqual({ event: 'stopped' });
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill();
    }
  });
});
