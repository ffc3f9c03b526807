/**
 * How many publishes of one connection the broker works on at once (`mqtt.receiveMaximum`,
 * after MQTT 5's Receive Maximum), kept for 3.1.1 clients too by not reading their socket.
 *
 * Withholding a PUBACK alone does not slow a sender: aedes 1.x (lib/client.js) reads a
 * connection again on every 'readable' event, whether or not the packets it parsed before have
 * been handled, so a device whose readings wait for a full telemetry store (or for its rate
 * limit) kept being read, and every reading it sent waited in memory. Measured: 10,000 buttons
 * at ~5,100 readings/s against a store writing ~5,000/s held 134,000 readings after 80 s and the
 * gateway's heap grew ~25 MB/s. Here a connection with `max` publishes in progress is not read
 * (its stream buffers up to its high-water mark, then the kernel buffer fills and TCP flow
 * control stops the sender) until one of them is answered. What the gateway holds is then
 * bounded per connection by `max` plus the packets of one socket read, whatever senders do.
 *
 * How: aedes counts the packets of a read in progress (`_parsingBatch`) and reads again when
 * `_nextBatch` (the end of a packet, or a 'readable' event) brings it to zero. While a connection
 * is held, 'readable' events are ignored and packet ends are counted here, then given back to
 * aedes' count in one step on release. (aedes' own pause()/resume() drops the packet ends that
 * arrive while paused, and the connection is never read again: the first version of this file
 * stalled a sender for good.) If a future aedes changes these internals, `install` finds no
 * listener to wrap and the window stays off, logged once, rather than stalling connections.
 *
 * A press behind held readings on the same connection waits with them only once `max` are held,
 * i.e. after a button's readings have waited several heartbeat periods.
 */
import type { Client } from 'aedes';
import type { Counters } from '../core/counters.js';

type NextBatch = (err?: Error) => void;

/** The aedes 1.x Client internals used here (lib/client.js); its typings do not declare them. */
interface AedesInternals {
  _nextBatch: NextBatch;
  _parsingBatch: number;
  conn: NodeJS.ReadableStream;
}

interface Held {
  /** Publishes in authorizePublish and not answered yet. */
  inProgress: number;
  paused: boolean;
  /** Packet ends aedes did not see while paused. */
  ends: number;
  next: NextBatch;
}

/** A connection's count of publishes in progress, as hold() hands it out (opaque to callers). */
export type WindowHold = object;

const STATE = Symbol('receive window');
type Tracked = Client & AedesInternals & { [STATE]?: Held | null };

export class ReceiveWindow {
  private pausedNow = 0;
  private warned = false;

  constructor(
    readonly max: number,
    private readonly counters: Counters,
    private readonly onUnsupported: (why: string) => void = () => {},
  ) {}

  /**
   * A publish of `client` starts: counted until it is answered through leave(), which takes what
   * this returns (null: nothing to count), exactly once. The connection is not read while `max`
   * or more are in progress.
   */
  hold(client: Client): WindowHold | null {
    const c = client as Tracked;
    const h = c[STATE] === undefined ? this.install(c) : c[STATE];
    if (!h) return null;
    h.inProgress++;
    if (h.inProgress >= this.max && !h.paused) {
      h.paused = true;
      this.pausedNow++;
      this.counters.inc('mqtt.receive.paused');
    }
    return h;
  }

  /** A publish hold() counted is answered: `answer(err)` runs, then the connection is read again if it was held. */
  leave(client: Client, h: WindowHold, answer: (err?: Error | null) => void, err: Error | null | undefined): void {
    const held = h as Held;
    held.inProgress--;
    answer(err);
    if (held.paused && held.inProgress < this.max) this.release(client as Tracked, held);
  }

  /** Connections not being read right now. */
  paused(): number {
    return this.pausedNow;
  }

  private install(c: Tracked): Held | null {
    const next = c._nextBatch;
    const conn = c.conn;
    if (typeof next !== 'function' || typeof c._parsingBatch !== 'number' || !conn || !conn.listeners('readable').includes(next)) {
      c[STATE] = null;
      if (!this.warned) {
        this.warned = true;
        this.onUnsupported('aedes client internals (_nextBatch, _parsingBatch, readable listener) not found: mqtt.receiveMaximum is not enforced');
      }
      return null;
    }
    const h: Held = { inProgress: 0, paused: false, ends: 0, next };
    // Packet ends (aedes passes client._nextBatch as each packet's done when it handles it).
    c._nextBatch = (err?: Error) => {
      if (err || !h.paused) return next(err);
      h.ends++;
    };
    // New data: read as aedes would, unless held (then it waits in the stream's buffer).
    conn.removeListener('readable', next);
    conn.on('readable', () => {
      if (!h.paused) next();
    });
    c[STATE] = h;
    return h;
  }

  private release(c: Tracked, h: Held): void {
    h.paused = false;
    this.pausedNow--;
    const ends = h.ends;
    h.ends = 0;
    if (ends === 0 || c.closed) return;
    // Give aedes the packet ends it missed, the last through its own function so that it reads
    // the socket if that brings its count to zero.
    c._parsingBatch -= ends - 1;
    h.next();
  }
}
