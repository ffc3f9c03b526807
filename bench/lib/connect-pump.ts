/** Connecting many simulated devices with a bounded number waiting for CONNACK at once (both client workers). */

/** Connects one device: `done(error message, or undefined; ms to CONNACK)` exactly once. */
export type ConnectOne = (n: number, done: (err: string | undefined, ms: number) => void) => void;

export interface PumpResult {
  /** CONNACK latencies (ms) of the connections that succeeded. */
  connectMs: number[];
  /** The first 10 errors, verbatim. */
  errors: string[];
}

/**
 * Connects devices [from, to), at most `inflight` at a time (keeps SYNs under the listen
 * backlog); resolves once every one has connected or failed. `onFailure` is told of each failure
 * as it happens (the workers' live progress counts them).
 */
export function connectBounded(from: number, to: number, inflight: number, connectOne: ConnectOne, onFailure: () => void): Promise<PumpResult> {
  const result: PumpResult = { connectMs: [], errors: [] };
  return new Promise((resolve) => {
    let next = from;
    let active = 0;
    const pump = () => {
      while (active < inflight && next < to) {
        active++;
        connectOne(next++, (err, ms) => {
          active--;
          if (err) {
            onFailure();
            if (result.errors.length < 10) result.errors.push(err);
          } else result.connectMs.push(ms);
          pump();
        });
      }
      if (active === 0 && next >= to) resolve(result);
    };
    pump();
  });
}
