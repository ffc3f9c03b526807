/**
 * A bare aedes 1.x broker, the baseline the gateway's broker is compared with: default
 * in-memory persistence, any credentials accepted, Nagle off as in the gateway. Speaks
 * bench/lib/broker-control.ts on stdio. Environment: MQTT_PORT (0 = any), MQTT_HOST.
 */
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { serveControl } from './lib/broker-control.js';

async function main(): Promise<void> {
  const aedes = await Aedes.createBroker({ authenticate: (_client, _username, _password, cb) => cb(null, true) });
  const server = createServer({ noDelay: true }, (socket) => aedes.handle(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(process.env.MQTT_PORT ?? 0), process.env.MQTT_HOST ?? '127.0.0.1', () => resolve());
  });
  serveControl({
    ready: { mqttPort: (server.address() as AddressInfo).port },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`bare-aedes: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
