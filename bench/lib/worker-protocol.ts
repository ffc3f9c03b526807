/** Messages between a benchmark and its client workers (bench/client-worker.ts) over the IPC channel. */

export interface ConnectCommand {
  cmd: 'connect';
  url: string;
  /** Device indexes [from, to) of the synthetic district. */
  from: number;
  to: number;
  perSite: number;
  /** Connections waiting for CONNACK at once (keeps SYNs under the listen backlog). */
  inflight: number;
  heartbeatMs: number;
  connectTimeoutMs: number;
  keepaliveSeconds: number;
  /** Retained `online` status at connect, as simulators/mqtt-device.ts does (the `offline` will is always set). */
  retainStatus: boolean;
  /** Subscribe to the device's cmd topic at connect. */
  subscribe: boolean;
  /** Heartbeat rounds a device must complete to count in `devicesWithRound` (default 1). */
  rounds?: number;
  /** Lean client (bench/lean-client.ts) only: unacknowledged publishes per connection at most (default 16). */
  window?: number;
  /** Lean client only: messages due to a connection before it writes them, in one write (default 1). */
  batch?: number;
}

export type WorkerCommand = ConnectCommand | { cmd: 'stats'; latencies: boolean } | { cmd: 'disconnect'; /** How long clients may wait for their unanswered publishes before closing (default 10 s). */ drainMs?: number };

export interface WorkerStats {
  /** Clients connected now. */
  connected: number;
  /** Connections refused, timed out or failed during the connect phase. */
  failed: number;
  /** Connections that closed after CONNACK (the broker dropped them). */
  dropped: number;
  telemetryAcked: number;
  telemetryFailed: number;
  /** Publishes still waiting for their PUBACK when the client was closed (after the drain wait). */
  telemetryUnanswered?: number;
  /** Devices with `rounds` + 1 telemetry messages acknowledged: the one at connect and `rounds` heartbeats. */
  devicesWithRound: number;
  /** Lean client only: publishes written. */
  telemetrySent?: number;
  /** Lean client only: messages due while their connection's window was full (not sent: the broker was behind). */
  windowFull?: number;
  /** Lean client only: messages due while the client itself was too busy to send them (not sent: the client was the limit). */
  late?: number;
}

export type WorkerMessage =
  | { type: 'progress'; stats: WorkerStats }
  /** CONNACK latencies (ms) of every connection, first errors verbatim. */
  | { type: 'connect-done'; stats: WorkerStats; connectMs: number[]; errors: string[] }
  /** PUBACK latencies (ms) of heartbeats after the first, when asked. */
  | { type: 'stats'; stats: WorkerStats; pubackMs?: number[] }
  | { type: 'disconnected' };

/** One counter summed over the workers' stats answers. */
export const sumStats = (stats: readonly { stats: WorkerStats }[], key: keyof WorkerStats): number => stats.reduce((a, s) => a + (s.stats[key] ?? 0), 0);

/** PUBACK latency samples a worker keeps at most: enough for stable percentiles, bounded for long runs. */
export const MAX_LATENCY_SAMPLES = 200_000;
