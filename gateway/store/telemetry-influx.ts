/**
 * Telemetry in InfluxDB 1.x through node-influx. write() only validates and queues; batches
 * leave by size or timer with a bounded number of requests in flight, written by a sender
 * thread (telemetry-influx-sender.ts: line protocol and HTTP off the event loop that handles
 * alarms); pings, the schema and queries stay on this thread's client. When InfluxDB refuses
 * a connection, times out or answers 5xx, batches go to a disk spool instead and a ping probe
 * with backoff waits for the server; once it answers, the schema is re-checked and the spool
 * replayed oldest first. Layout and measurement design: docs/telemetry.md.
 */
import type { Agent } from 'node:http';
import type { InfluxDB } from 'influx';
import type { Logger } from 'pino';
import { systemClock, type Clock, type Timer } from '../contract/clock.js';
import { GatewayError } from '../contract/errors.js';
import { resolveInfluxOptions, type InfluxStoreOptions, type ResolvedInfluxOptions } from './telemetry-influx-options.js';
import { InfluxQueries } from './telemetry-influx-queries.js';
import { ensureSchema, policyFor, type InfluxLayout } from './telemetry-influx-schema.js';
import { RejectCounter, type StoredPoint } from './telemetry-points.js';
import { Admission } from './telemetry-admission.js';
import { createInfluxClient, influxTarget } from './telemetry-influx-client.js';
import { InfluxSenderThread } from './telemetry-influx-sender-thread.js';
import type { ThreadLoad } from './store-thread.js';
import { BatchQueue, type Batch } from './telemetry-queue.js';
import { TelemetryJournal } from './telemetry-journal.js';
import { TelemetrySpool } from './telemetry-spool.js';
import type { AvailabilityQuery, SeriesPoint, SeriesQuery, TelemetryStats, TelemetryStore } from './telemetry-store.js';
import type { TelemetryPoint } from '../core/devices/telemetry.js';

export type { InfluxStoreOptions } from './telemetry-influx-options.js';

/** InfluxDB 1.x answers 400 for points it refuses ("partial write: … dropped=N"); a re-send cannot help. */
function refusedCount(error: string, batch: number): number {
  const m = /dropped=(\d+)/.exec(error);
  return m ? Math.min(batch, Number(m[1])) : batch;
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** How long stop() keeps sending to InfluxDB before it spools what is left. */
const STOP_WAIT_MS = 3000;

/** Resolves when every promise has settled or after `ms` on `clock`, whichever is first. */
async function settledWithin(promises: Promise<unknown>[], ms: number, clock: Clock): Promise<void> {
  if (promises.length === 0) return;
  let timer: Timer | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, ms)))]);
  if (timer) clock.clearTimeout(timer);
}

export class InfluxTelemetryStore implements TelemetryStore {
  readonly name = 'influx';
  private readonly o: ResolvedInfluxOptions;
  private readonly clock: Clock;
  private readonly layout: InfluxLayout;
  private readonly queue: BatchQueue;
  private readonly journal: TelemetryJournal;
  private readonly spool: TelemetrySpool;
  private readonly admission: Admission;
  /** The spool refused the last append (full, or the disk failed): batches stay in memory until the next tick. */
  private spoolBlocked = false;
  private spoolRetries = 0;
  private readonly rejects: RejectCounter;
  private readonly queries: InfluxQueries;
  private influx: InfluxDB | undefined;
  private agent: Agent | undefined;
  /** Writes batches: line protocol and HTTP off this thread. */
  private sender: InfluxSenderThread | undefined;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private online = false;
  private connecting = false;
  private pumpScheduled = false;
  /** Write requests sent and not answered yet, with their batch. */
  private readonly inFlight = new Map<Promise<void>, Batch>();
  /** In-flight requests whose batch stop() spooled already: their late outcome is ignored. */
  private readonly abandoned = new Set<Promise<void>>();
  /** Set by stop() once its wait is over: whatever is queued goes to the spool, not to InfluxDB. */
  private spillAll = false;
  private inFlightPoints = 0;
  private readonly spoolOps = new Set<Promise<void>>();
  private spoolPendingPoints = 0;
  private written = 0;
  private dropped = 0;
  private lastError: string | undefined;
  private tick: Timer | undefined;
  private probeTimer: Timer | undefined;
  private probeDelay: number;
  private replaying: Promise<void> | undefined;
  private readonly replayDone = new Map<number, number>();
  private replayRange: { min: number; max: number } | undefined;
  private drainWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(opts: InfluxStoreOptions, private readonly log: Logger) {
    this.o = resolveInfluxOptions(opts);
    this.clock = opts.clock ?? systemClock;
    this.layout = { database: this.o.database, rawPolicy: this.o.rawPolicy, longPolicy: this.o.longPolicy, retentionDays: this.o.retentionDays, longRetentionDays: this.o.longRetentionDays };
    this.journal = new TelemetryJournal(this.o.journalDir, log);
    this.queue = new BatchQueue(this.o.batchSize, (through) => this.journal.kept(through));
    this.spool = new TelemetrySpool({ dir: this.o.spoolDir, maxBytes: this.o.spoolMaxBytes }, log);
    this.rejects = new RejectCounter(log);
    this.queries = new InfluxQueries(() => this.influx, this.layout, this.clock);
    this.probeDelay = this.o.probeMinMs;
    // maxBufferedPoints in memory before batches spill to the spool; readings wait past twice that
    // (the spool full or failing, or the spill itself not keeping up).
    this.admission = new Admission(2 * this.o.maxBufferedPoints, () => this.queue.size + this.inFlightPoints + this.spoolPendingPoints, () => this.clock.now());
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    let url: URL;
    try {
      url = new URL(this.o.url);
    } catch (err) {
      throw new GatewayError('GW_ERR_CONFIG_INVALID', `telemetry.influx.url: not a URL: ${this.o.url}`, { cause: err });
    }
    const target = influxTarget(url, { database: this.o.database, username: this.o.username, password: this.o.password, requestTimeoutMs: this.o.requestTimeoutMs });
    // Own agent so stop() can close its keep-alive sockets.
    ({ influx: this.influx, agent: this.agent } = createInfluxClient(target));
    this.sender = new InfluxSenderThread(
      target,
      (error) => {
        // Its requests failed as an unreachable server's do: their batches go to the spool.
        this.lastError = `GW_ERR_INTERNAL: InfluxDB sender thread died: ${error}`;
        this.log.warn({ error }, 'InfluxDB sender thread died: its batches are spooled, the next write starts a new one');
      },
    );
    this.sender.start();
    try {
      await this.spool.open();
      // Readings acknowledged before a crash and perhaps never sent are queued again (InfluxDB
      // overwrites the same point); their segments go once InfluxDB or the spool has them.
      await this.journal.open(this.queue);
    } catch (err) {
      this.agent.destroy();
      await this.sender.close();
      throw new GatewayError('GW_ERR_INTERNAL', `telemetry spool dir ${this.o.spoolDir} or journal dir ${this.o.journalDir} unusable`, { cause: err });
    }
    this.state = 'running';
    this.tick = this.clock.setInterval(() => {
      this.queue.seal();
      this.spoolBlocked = false;
      this.pump();
    }, this.o.flushIntervalMs);
    // connect() never rejects: an unreachable server is retried by its probe.
    await settledWithin([this.connect()], this.o.startWaitMs, this.clock);
    this.pump();
  }

  write(points: TelemetryPoint[]): void {
    try {
      if (this.state === 'stopping' || this.state === 'stopped') {
        this.dropped += points.length;
        this.lastError = 'GW_ERR_INTERNAL: telemetry store stopped';
        return;
      }
      for (const p of points) {
        const c = this.rejects.check(p);
        if (typeof c === 'string') {
          this.dropped++;
          this.lastError = c;
        } else this.queue.push(c);
      }
      if (this.queue.ready > 0) this.schedulePump();
    } catch (err) {
      this.lastError = errText(err);
      this.log.error({ err }, 'telemetry write failed');
    }
  }

  admit(points: TelemetryPoint[], onWait?: () => void): Promise<void> | undefined {
    if (this.state === 'stopping' || this.state === 'stopped') {
      return Promise.reject(new GatewayError('GW_ERR_STORE_UNAVAILABLE', 'telemetry store stopped'));
    }
    return this.admission.enter(points, this.keep, onWait);
  }

  /** Queues a device's points and answers once they are in the journal (kept across a crash; sent or spooled later). */
  private readonly keep = (points: TelemetryPoint[]): Promise<void> | undefined => this.journal.keep(points, this.queue, this);

  async flush(): Promise<void> {
    if (this.state !== 'running' && this.state !== 'stopping') return;
    for (;;) {
      this.queue.seal();
      this.pump();
      if (this.queue.size === 0 && this.inFlight.size === 0 && this.spoolOps.size === 0) return;
      // Neither InfluxDB nor the spool will take what is left now: it stays queued.
      if (this.inFlight.size === 0 && this.spoolOps.size === 0) return;
      await Promise.all([...this.inFlight.keys(), ...this.spoolOps]);
    }
  }

  /** Resolves once nothing is buffered, in flight or spooled (waits for InfluxDB to return). */
  async drained(): Promise<void> {
    await this.flush();
    if (this.spool.isEmpty() && !this.replaying) return;
    await new Promise<void>((resolve, reject) => this.drainWaiters.push({ resolve, reject }));
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    if (this.tick) this.clock.clearInterval(this.tick);
    if (this.probeTimer) this.clock.clearTimeout(this.probeTimer);
    this.tick = this.probeTimer = undefined;
    this.admission.fail('telemetry store stopping');
    this.spoolBlocked = false;
    // Sent to InfluxDB as usual for up to STOP_WAIT_MS; then what it has not taken (queued, or
    // sent and unanswered) goes to the disk spool, replayed at the next start. A slow server must
    // not hold shutdown past a supervisor's stop timeout (Docker's is 10 s), after which all that
    // was still in memory would be lost. If InfluxDB takes an abandoned request after all, the
    // replay writes its points again: the same series and time, so still one point each.
    await settledWithin([this.flush(), ...(this.replaying ? [this.replaying] : [])], STOP_WAIT_MS, this.clock);
    this.spillAll = true;
    this.queue.seal();
    this.pump();
    for (const [p, batch] of this.inFlight) {
      this.abandoned.add(p);
      this.inFlightPoints -= batch.length;
      this.toSpool(batch);
    }
    await Promise.all(this.spoolOps);
    await this.spool.idle();
    if (this.queue.size > 0) {
      // Spool full (or the disk failing) up to shutdown: these points are lost, and said so.
      this.dropped += this.queue.size;
      this.lastError = `GW_ERR_INTERNAL: ${this.queue.size} telemetry points neither sent nor spooled before shutdown`;
      this.log.error({ points: this.queue.size }, 'telemetry points neither sent nor spooled at shutdown');
    }
    // Device readings among them stay in the journal and are sent at the next start.
    await this.journal.close();
    this.agent?.destroy();
    await this.sender?.close();
    this.state = 'stopped';
    for (const w of this.drainWaiters.splice(0)) w.reject(new GatewayError('GW_ERR_INTERNAL', 'telemetry store stopped'));
  }

  stats(): TelemetryStats {
    const s = this.spool.stats();
    return {
      written: this.written,
      buffered: this.queue.size + this.inFlightPoints + this.spoolPendingPoints,
      spooled: s.points,
      dropped: this.dropped + s.dropped,
      ...this.admission.stats(),
      retries: this.spoolRetries,
      workerRestarts: this.sender?.restarts ?? 0,
      ...this.journal.stats(),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  series(q: SeriesQuery): Promise<SeriesPoint[]> {
    return this.queries.series(q);
  }

  availability(q: AvailabilityQuery): Promise<Record<string, number>> {
    return this.queries.availability(q);
  }

  /** Tests and drills: the sender thread dies at once, with its requests unanswered. */
  crashSender(): void {
    this.sender?.crash();
  }

  /** How the sender thread's code was loaded (tests: from source, the bundle), undefined when none runs. */
  get senderLoad(): ThreadLoad | undefined {
    return this.sender?.load;
  }

  /** Recomputes the 5-minute means for [from, to) into the long-term RP (after a replay). */
  downsample(from: number, to: number): Promise<void> {
    return this.queries.downsample(from, to);
  }

  /** Moves sealed batches on: to InfluxDB while it is up and a slot is free, else to disk. */
  private pump(): void {
    if (this.state !== 'running' && this.state !== 'stopping') return;
    while (this.queue.ready > 0) {
      if (!this.online || this.spillAll) {
        if (this.spoolBlocked) break;
        this.toSpool(this.take());
      } else if (this.inFlight.size < this.o.maxInFlight) this.launch(this.take());
      else if (this.queue.size > this.o.maxBufferedPoints && !this.spoolBlocked) this.toSpool(this.take());
      else break;
    }
  }

  /** Handing a batch to the sender thread (a structured clone) is left for after the caller's
   *  turn: write() itself only validates and queues. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    process.nextTick(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private take(): Batch | undefined {
    return this.queue.take();
  }

  private launch(batch: Batch | undefined): void {
    if (!batch) return;
    this.inFlightPoints += batch.length;
    const p: Promise<void> = this.deliver(batch.points)
      .then((rest) => {
        if (this.abandoned.has(p)) return;
        // What InfluxDB answered for (written, or refused as invalid) is kept; the rest goes to the spool.
        this.queue.kept(batch, batch.length - rest.length);
        this.toSpool(batch.with(rest));
      })
      .finally(() => {
        this.inFlight.delete(p);
        // An abandoned batch was counted out when stop() spooled it.
        if (!this.abandoned.delete(p)) this.inFlightPoints -= batch.length;
        this.pump();
        this.admission.release();
      });
    this.inFlight.set(p, batch);
  }

  /** Writes a batch (one request per RP); returns what is left to spool after a failure. */
  private async deliver(batch: StoredPoint[]): Promise<StoredPoint[]> {
    const groups = new Map<string, StoredPoint[]>();
    for (const p of batch) {
      const rp = policyFor(this.layout, p.measurement);
      const g = groups.get(rp);
      if (g) g.push(p);
      else groups.set(rp, [p]);
    }
    const entries = [...groups];
    for (let i = 0; i < entries.length; i++) {
      const [retentionPolicy, points] = entries[i] as [string, StoredPoint[]];
      const rest = (): StoredPoint[] => entries.slice(i).flatMap(([, g]) => g);
      if (!this.sender || !this.online) return rest();
      const sent = await this.sender.write(points, retentionPolicy);
      if (sent.ok) {
        this.written += points.length;
        this.probeDelay = this.o.probeMinMs;
        continue;
      }
      if (sent.status !== 400) {
        this.goOffline(sent.error);
        return rest();
      }
      const refused = refusedCount(sent.error, points.length);
      this.written += points.length - refused;
      this.dropped += refused;
      this.lastError = `GW_ERR_PAYLOAD_INVALID: InfluxDB refused points: ${sent.error}`;
      this.log.warn({ err: sent.error, refused }, 'InfluxDB refused telemetry points');
    }
    return [];
  }

  private toSpool(batch: Batch | undefined): void {
    if (!batch || batch.length === 0) return;
    this.spoolPendingPoints += batch.length;
    const op: Promise<void> = this.spool
      .append(batch.points)
      .then(() => this.queue.kept(batch, batch.length))
      .catch((err: unknown) => {
        // Spool full or the disk failing: the points stay in memory, first in line; the
        // admission bound holds readings back until InfluxDB or the spool takes them.
        this.queue.unshift(batch);
        this.spoolBlocked = true;
        this.spoolRetries++;
        this.lastError = `GW_ERR_INTERNAL: telemetry spool refused points, kept in memory: ${errText(err)}`;
        if (this.spoolRetries === 1 || this.spoolRetries % 60 === 0) this.log.warn({ err: errText(err), points: batch.length }, 'telemetry spool refused points: kept in memory');
      })
      .finally(() => {
        this.spoolPendingPoints -= batch.length;
        this.spoolOps.delete(op);
        this.admission.release();
        // Spilled while online (buffer full behind a slow server): send it back as slots free up.
        this.kickReplay();
      });
    this.spoolOps.add(op);
  }

  private goOffline(err: unknown): void {
    this.lastError = `GW_ERR_INTERNAL: InfluxDB unavailable: ${errText(err)}`;
    if (this.online) this.log.warn({ err: errText(err) }, 'InfluxDB unavailable: spooling telemetry to disk');
    this.online = false;
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.probeTimer || this.state !== 'running') return;
    const delay = this.probeDelay;
    this.probeDelay = Math.min(this.probeDelay * 2, this.o.probeMaxMs);
    this.probeTimer = this.clock.setTimeout(() => {
      this.probeTimer = undefined;
      void this.connect();
    }, delay);
  }

  /** Ping, then (re)create the schema; on success go online and start a replay. */
  private async connect(): Promise<void> {
    if (this.connecting || this.online || this.state !== 'running' || !this.influx) return;
    this.connecting = true;
    try {
      const hosts = await this.influx.ping(Math.min(this.o.requestTimeoutMs, 2000));
      if (!hosts.some((h) => h.online)) throw new Error('ping: no answer');
      if (this.o.manageSchema) await this.ensureSchemaIfAllowed(this.influx);
      if (this.state !== 'running') return;
      this.online = true;
      this.log.info({ url: this.o.url, spooled: this.spool.stats().points }, 'InfluxDB reachable');
      this.pump();
      this.kickReplay();
    } catch (err) {
      this.lastError = `GW_ERR_INTERNAL: InfluxDB unavailable: ${errText(err)}`;
      this.scheduleProbe();
    } finally {
      this.connecting = false;
    }
  }

  /** A user with WRITE but not admin rights gets 403 on CREATE DATABASE/RP/CQ: the schema is
   *  then someone else's job, and writes are tried anyway (they spool if they fail). */
  private async ensureSchemaIfAllowed(influx: InfluxDB): Promise<void> {
    try {
      await ensureSchema(influx, this.layout);
    } catch (err) {
      if ((err as { res?: { statusCode?: number } }).res?.statusCode !== 403) throw err;
      this.log.warn({ err: errText(err) }, 'InfluxDB user may not manage the schema: assuming database, RPs and CQ exist');
    }
  }

  private kickReplay(): void {
    if (this.replaying || !this.online || this.state !== 'running' || this.spool.isEmpty()) return;
    let failed = false;
    this.replaying = this.replay()
      .catch((err: unknown) => {
        // Retried through the probe's backoff, never in a tight loop.
        failed = true;
        this.log.error({ err }, 'telemetry spool replay failed');
        this.goOffline(err);
      })
      .finally(() => {
        this.replaying = undefined;
        if (this.spool.isEmpty()) for (const w of this.drainWaiters.splice(0)) w.resolve();
        else if (!failed) this.kickReplay();
      });
  }

  /** Sends spool segments oldest first, one request at a time, remembering progress per segment. */
  private async replay(): Promise<void> {
    while (this.online && this.state === 'running') {
      const seg = await this.spool.peek();
      if (!seg) break;
      let done = this.replayDone.get(seg.id) ?? 0;
      while (done < seg.points.length) {
        const chunk = seg.points.slice(done, done + this.o.batchSize);
        const rest = this.online && this.state === 'running' ? await this.deliver(chunk) : chunk;
        if (rest.length > 0) {
          this.replayDone.set(seg.id, done);
          this.spool.release(seg.id);
          return;
        }
        for (const p of chunk) {
          if (p.measurement !== 'telemetry') continue;
          const r = (this.replayRange ??= { min: p.at, max: p.at });
          r.min = Math.min(r.min, p.at);
          r.max = Math.max(r.max, p.at);
        }
        done += chunk.length;
      }
      await this.spool.ack(seg.id);
      this.replayDone.delete(seg.id);
    }
    const range = this.replayRange;
    if (range && this.spool.isEmpty() && this.online) {
      this.replayRange = undefined;
      // A CQ only looks at its last intervals: replayed history needs its means computed now.
      await this.downsample(range.min, range.max + 1).catch((err: unknown) => {
        this.log.warn({ err }, 'downsampling replayed telemetry failed');
      });
    }
  }
}

export function createInfluxStore(opts: InfluxStoreOptions, log: Logger): InfluxTelemetryStore {
  return new InfluxTelemetryStore(opts, log);
}
