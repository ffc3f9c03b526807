/**
 * Sender thread of the InfluxDB telemetry store (node:worker_threads, started by
 * telemetry-influx-sender-thread.ts). It turns batches into line protocol and writes them to
 * InfluxDB with node-influx, so neither runs on the event loop that handles alarms: building
 * the request body cost the main thread ~3.5 µs a point (escaping, string concatenation) and
 * the garbage of each body, and at 20,000-30,000 readings/s the gateway on InfluxDB was bound
 * by its main thread (bench/README.md, telemetry-ingest). Requests run concurrently, as the
 * store sends them (at most its `maxInFlight`); each is answered once InfluxDB has, or has
 * failed to. The store keeps every batch until its answer: a thread that dies loses nothing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { IPoint } from 'influx';
import { createInfluxClient } from './telemetry-influx-client.js';
import type { FromSender, SenderInit, ToSender } from './telemetry-influx-sender-protocol.js';
import { lowerThreadPriority } from './thread-priority.js';
import type { PackedPoints } from './telemetry-writer-protocol.js';

const port = parentPort;
if (!port) throw new Error('telemetry-influx-sender runs as a worker thread');
lowerThreadPriority();

const { influx } = createInfluxClient(workerData as SenderInit);

const send = (m: FromSender): void => port.postMessage(m);

/** The packed points as node-influx's IPoint, in one pass. */
function toIPoints(packed: PackedPoints): IPoint[] {
  const out: IPoint[] = new Array<IPoint>(packed.length >> 2);
  for (let i = 0, j = 0; i + 3 < packed.length; i += 4, j++) {
    out[j] = { measurement: packed[i] as string, tags: packed[i + 1] as IPoint['tags'], fields: packed[i + 2] as IPoint['fields'], timestamp: packed[i + 3] as number };
  }
  return out;
}

port.on('message', (m: ToSender) => {
  if (m.t === 'crash') process.exit(70);
  influx.writePoints(toIPoints(m.points), { precision: 'ms', retentionPolicy: m.rp }).then(
    () => send({ t: 'written', id: m.id }),
    (err: unknown) => {
      const status = (err as { res?: { statusCode?: number } }).res?.statusCode;
      send({ t: 'failed', id: m.id, error: err instanceof Error ? err.message : String(err), ...(status !== undefined ? { status } : {}) });
    },
  );
});
