/**
 * Child process for `barrier-poll`: many Modbus TCP barrier controllers on loopback, each with
 * many units. Prints one JSON line {ports} once listening; stops on SIGTERM.
 */
import { BarrierControllerSimulator } from '../simulators/barrier-modbus/simulator.js';

async function main(): Promise<void> {
  const controllers = Number(process.argv[2] ?? 25);
  const units = Number(process.argv[3] ?? 100);
  const sims: BarrierControllerSimulator[] = [];
  for (let c = 0; c < controllers; c++) {
    const sim = new BarrierControllerSimulator({ port: 0, units: Array.from({ length: units }, (_v, i) => i + 1), initial: 'raised' });
    await sim.start();
    sims.push(sim);
  }
  process.stdout.write(`${JSON.stringify({ ports: sims.map((s) => s.port) })}\n`);
  process.once('SIGTERM', () => void Promise.all(sims.map((s) => s.stop())).then(() => process.exit(0)));
}

void main();
