/**
 * Child process for `gb28181-register`: N simulated GB/T 28181 NVRs with M channels each,
 * registering to the platform at 127.0.0.1:<port> and keeping alive. Prints {registered, failed,
 * ms} once all have tried; on a `report` line prints keepalive round trips and counts (and clears
 * them); stops on SIGTERM or when stdin closes.
 */
import { createInterface } from 'node:readline';
import { GbNvrSimulator } from '../simulators/camera-gb28181/nvr-simulator.js';

export const nvrId = (i: number) => `3402000000118${String(i).padStart(7, '0')}`;
export const channelPrefix = (i: number) => `3402000000131${String(i).padStart(4, '0')}`;
export const channelId = (i: number, c: number) => `${channelPrefix(i)}${String(c).padStart(3, '0')}`;

async function main(): Promise<void> {
  const [port, nvrs, channels, keepaliveMs, transport] = process.argv.slice(2);
  const sims = Array.from({ length: Number(nvrs) }, (_, i) => new GbNvrSimulator({
    id: nvrId(i),
    channels: Array.from({ length: Number(channels) }, (_v, c) => ({ id: channelId(i, c + 1), name: `ch ${c + 1}` })),
    server: { host: '127.0.0.1', port: Number(port), id: '34020000002000000001' },
    password: 'bench-pass',
    transport: transport === 'tcp' ? 'tcp' : 'udp',
    keepaliveMs: Number(keepaliveMs),
    expiresSeconds: 3600,
  }));
  const t0 = performance.now();
  let registered = 0;
  let failed = 0;
  const queue = [...sims];
  // Devices power up a few at a time, as a school district's do after an outage.
  await Promise.all(Array.from({ length: 10 }, async () => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      const status = await s.start().catch(() => 0);
      if (status === 200) registered++;
      else failed++;
    }
  }));
  process.stdout.write(`${JSON.stringify({ registered, failed, ms: Math.round(performance.now() - t0) })}\n`);
  const stop = () => void Promise.all(sims.map((s) => s.stop())).then(() => process.exit(0));
  process.once('SIGTERM', stop);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() !== 'report') return;
    const rtts = sims.flatMap((s) => s.keepaliveRtts.splice(0));
    const failures = sims.reduce((n, s) => n + s.keepaliveFailures, 0);
    process.stdout.write(`${JSON.stringify({ rtts, failures, sent: sims.reduce((n, s) => n + s.keepalivesSent, 0) })}\n`);
  });
  rl.on('close', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
