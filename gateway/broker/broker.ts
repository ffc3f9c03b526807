/**
 * The embedded MQTT broker (aedes) with device authentication, the topic ACL, disk
 * persistence, a TCP listener and an MQTT-over-WebSocket handler for the HTTP server.
 *
 * aedes leaves a few MQTT 3.1.1 statements open; they are closed here:
 * - [MQTT-3.1.3-8] an empty client id with CleanSession 0 is refused with CONNACK 0x02;
 * - a forbidden subscription gets SUBACK 0x80 [MQTT-3.9.3] instead of a dropped connection;
 * - a wrong password never kicks the session already connected under that id (aedes takes
 *   over an existing client only after authentication succeeds [MQTT-3.1.4-2]).
 *
 * Devices authenticate with a password checked against a mosquitto `$7$` hash
 * (credential-verifier.ts), or over TLS with a client certificate (tls-listener.ts); each
 * device's publishes pass a token bucket (rate-limiter.ts) before the ACL.
 *
 * With cluster.redisUrl, messages and sessions go through Redis (redis-transport.ts) so every
 * node's broker is one broker to devices; authentication, the ACL, TLS and rate limits are the
 * same, and a device's publish still reaches the gateway here, on its own node, before PUBACK.
 */
// First: wraps the `debug` that aedes's mqtt-packet will load (quiet-debug.ts).
import './quiet-debug.js';
import type { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesOptions, type Client, type AuthenticateError, type PublishPacket } from 'aedes';
import { ClassicLevel } from 'classic-level';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import type { DeviceRegistry, MqttBus, MqttHandler } from '../contract/adapter.js';
import { systemClock, type Clock } from '../contract/clock.js';
import type { Counters } from '../core/counters.js';
import type { HealthReasonCode } from '../contract/vocabulary.js';
import { Acl, type ForwardCache, type Principal, type PublishCache } from './acl.js';
import { ConnectGuard, type ThrottledAddress } from './connect-guard.js';
import { CredentialVerifier, isVerifierBusy } from './credential-verifier.js';
import { IndexedLevelPersistence } from './indexed-persistence.js';
import { ReadingSlices, type SliceStats, type SliceTask } from './reading-slices.js';
import { PublishRateLimiter, type Release } from './rate-limiter.js';
import { ReceiveWindow, type WindowHold } from './receive-window.js';
import type { RedisTransport } from './redis-transport.js';
import { createTlsListener, mqttSecureContext, peerIdentity, readMqttTlsFiles } from './tls-listener.js';
import type { CertificateInfo } from '../config/tls-files.js';
import { filterMatchesTopic } from '../contract/topics.js';
import { isUncommitted } from '../contract/errors.js';
import { preciseNow } from '../contract/press-timing.js';

export interface BrokerDeps {
  config: GatewayConfig;
  registry: DeviceRegistry;
  log: Logger;
  counters: Counters;
  dataDir: string;
  /** Rate-limit timing; the system clock by default. */
  clock?: Clock;
}

/** A health condition the broker observed on a device (today: `flooding`). */
export type DeviceConditionListener = (deviceId: string, code: HealthReasonCode, active: boolean, detail?: string) => void;

type AuthResult = { principal: Principal; via: 'password' | 'certificate' | 'anonymous' } | { refuse: 2 | 4 | 5; why: string };

/** A device's reading or status report (campus/v1/<site>/<device>/telemetry|status): handled in slices. */
const isReading = (topic: string): boolean => topic.endsWith('/telemetry') || topic.endsWith('/status');

interface PublishSteps {
  run(job: PublishJob): void;
  decide(job: PublishJob, err?: Error): void;
  finish(job: PublishJob, err: Error | null | undefined): void;
}

/**
 * One publish on its way through the broker (receive window, reading slice, rate limit, ACL,
 * handlers), kept as one object whose methods the slices and the rate limiter call. It used to be
 * a closure context and four closures per publish: at 36,000 readings/s that was 2.7 MB of what
 * every young-generation collection had to copy (the publishes waiting for their turn), and
 * ~0.9 KB of garbage per reading under press-110's background load.
 */
class PublishJob implements SliceTask, Release {
  answered = false;

  constructor(
    private readonly steps: PublishSteps,
    readonly client: Client | null,
    readonly packet: PublishPacket,
    readonly answer: (err?: Error | null) => void,
    readonly receivedAt: number,
    readonly principal: Principal | undefined,
    readonly held: WindowHold | null,
    /** A device's own publish: through its rate limit first. A will or a user's publish: straight to the checks. */
    readonly limited: boolean,
  ) {}

  /** Its turn (now, or in a reading slice). */
  run(): void {
    this.steps.run(this);
  }

  /** What run() threw. */
  fail(err: Error): void {
    this.steps.finish(this, err);
  }

  /** The rate limiter lets it go, or drops it with an error (the connection closed). */
  admitted(err?: Error): void {
    this.steps.decide(this, err);
  }
}

export class Broker {
  aedes?: Aedes;
  private server?: Server;
  private tlsServer?: TlsServer;
  private db?: ClassicLevel<string, string>;
  private redis?: RedisTransport;
  private readonly principals = new WeakMap<Client, Principal>();
  private readonly forwardCaches = new WeakMap<Client, ForwardCache>();
  private readonly publishCaches = new WeakMap<Client, PublishCache>();
  private readonly refuseEmptyId = new WeakSet<Client>();
  private readonly acl: Acl;
  private readonly verifier: CredentialVerifier;
  private readonly connectGuard: ConnectGuard;
  /** Client addresses of streams that carry none themselves (MQTT over WebSocket). */
  private readonly streamAddresses = new WeakMap<object, string>();
  private readonly limiter: PublishRateLimiter;
  private readonly window: ReceiveWindow;
  private readonly slices: ReadingSlices;
  private readonly conditionListeners: DeviceConditionListener[] = [];

  constructor(private readonly deps: BrokerDeps) {
    this.acl = new Acl(deps.config.mqtt.acl, deps.registry);
    const cl = deps.config.mqtt.connectLimit;
    this.verifier = new CredentialVerifier(deps.counters, 2, { slotsPerAddress: cl.hashSlotsPerAddress, queuePerAddress: cl.hashQueuePerAddress });
    this.connectGuard = new ConnectGuard(cl, deps.counters, deps.clock ?? systemClock, deps.log);
    this.window = new ReceiveWindow(deps.config.mqtt.receiveMaximum, deps.counters, (why) => deps.log.warn(why));
    this.slices = new ReadingSlices();
    this.limiter = new PublishRateLimiter(
      deps.config.mqtt.rateLimit,
      {
        disconnect: (conn, deviceId) => {
          deps.log.warn({ deviceId, limit: deps.config.mqtt.rateLimit }, 'device disconnected for flooding');
          (conn as Client).close();
        },
        flooding: (deviceId, active, detail) => this.condition(deviceId, 'flooding', active, detail),
      },
      deps.counters,
      deps.clock ?? systemClock,
    );
  }

  /** What a PublishJob does at each step, bound to this broker once (not per publish). */
  private readonly publishSteps: PublishSteps = {
    run: (job) => {
      const { client, principal } = job;
      // Run later, the client may have gone meanwhile: as for a will, no rate limit then.
      if (job.limited && client && !client.closed && principal) this.limiter.admit(client, principal.username, job);
      else this.decidePublish(job);
    },
    decide: (job, err) => this.decidePublish(job, err),
    finish: (job, err) => this.finishPublish(job, err),
  };

  /** The ACL, then the handlers; answers the publish once what it raised is committed. */
  private decidePublish(job: PublishJob, err?: Error): void {
    if (err) return this.finishPublish(job, err);
    const { client, principal: p, packet } = job;
    // client is null for the will of a client long gone: checked when it connected.
    if (!client || (p && this.mayPublish(client, p, packet.topic))) {
      // A reading is handled at once (dispatch returns nothing): acknowledged in this turn.
      const handled = this.dispatch(packet.topic, packet.payload, job.receivedAt);
      if (!handled) return this.finishPublish(job, null);
      handled.then(
        () => this.finishPublish(job, null),
        (err: Error) => {
          // Not committed (the state database is unreachable): no PUBACK. aedes closes the
          // connection and the device's client sends the QoS 1 publish again on reconnect
          // [MQTT-4.4.0-1]; never acknowledged and lost.
          this.deps.counters.inc('mqtt.publish.uncommitted');
          this.deps.log.debug({ clientId: client?.id, topic: packet.topic, err: err.message }, 'publish not acknowledged: not committed');
          this.finishPublish(job, err);
        },
      );
      return;
    }
    this.deps.counters.inc('mqtt.publish.denied');
    this.deps.log.warn({ clientId: client.id, username: p?.username, topic: packet.topic }, 'publish refused by ACL');
    // [MQTT-3.3.5-2]: no way to tell a 3.1.1 client; the connection is closed.
    this.finishPublish(job, new Error(`not authorized to publish to ${packet.topic}`));
  }

  /** aedes' callback, once, then the connection's receive window moves on. */
  private finishPublish(job: PublishJob, err: Error | null | undefined): void {
    if (job.answered) return;
    job.answered = true;
    if (job.held && job.client) this.window.leave(job.client, job.held, job.answer, err);
    else job.answer(err);
  }

  /**
   * Health conditions the broker sees (a device disconnected for flooding, and when that
   * clears). gateway/app.ts wires this to HealthTracker.setCondition. Returns an unsubscribe.
   */
  onDeviceCondition(listener: DeviceConditionListener): () => void {
    this.conditionListeners.push(listener);
    return () => {
      const i = this.conditionListeners.indexOf(listener);
      if (i >= 0) this.conditionListeners.splice(i, 1);
    };
  }

  private condition(deviceId: string, code: HealthReasonCode, active: boolean, detail?: string): void {
    for (const listener of [...this.conditionListeners]) {
      try {
        listener(deviceId, code, active, detail);
      } catch (err) {
        this.deps.log.error({ err, deviceId, code }, 'device condition listener failed');
      }
    }
  }

  async start(): Promise<void> {
    const { config, log, counters } = this.deps;
    let persistence: AedesOptions['persistence'];
    const redisUrl = config.cluster.redisUrl;
    if (redisUrl) {
      // mqtt.persistence does not apply: sessions and retained messages live in Redis. The Redis
      // client is loaded only in cluster mode.
      const { createRedisTransport } = await import('./redis-transport.js');
      this.redis = createRedisTransport({
        url: redisUrl,
        log: log.child({ part: 'redis' }),
        counters,
        heartbeatMs: config.cluster.mqttHeartbeatSeconds * 1000,
        ...(config.cluster.nodeId ? { nodeId: config.cluster.nodeId } : {}),
      });
      persistence = this.redis.persistence;
    } else if (config.mqtt.persistence === 'level') {
      const dir = join(this.deps.dataDir, 'mqtt');
      mkdirSync(dir, { recursive: true });
      this.db = new ClassicLevel(dir);
      persistence = new IndexedLevelPersistence(this.db);
    }
    this.aedes = await Aedes.createBroker({
      ...(persistence ? { persistence } : {}),
      ...(this.redis ? { mq: this.redis.mq } : {}),
      // Cluster mode: how soon a dead node's device wills are published (cluster.mqttHeartbeatSeconds).
      heartbeatInterval: this.redis ? config.cluster.mqttHeartbeatSeconds * 1000 : 60_000,
      drainTimeout: 30_000,
      maxClientsIdLength: 128,
      preConnect: (client, packet, cb) => {
        // [MQTT-3.1.3-8]: remembered here because aedes replaces the empty id before authenticate.
        if (!packet.clientId && packet.clean === false) this.refuseEmptyId.add(client);
        cb(null, true);
      },
      authenticate: (client, username, password, cb) => {
        const refuse = (code: 2 | 3 | 4 | 5, why: string, quiet = false) => {
          counters.inc(`mqtt.auth.refused.${why}`);
          if (code === 3 || code === 4) this.connectGuard.penalize(this.addressOf(client));
          // Refusals of a flood are counted, not logged one by one (the guard logs the address once).
          if (!quiet) log.warn({ clientId: client.id, username, why }, 'mqtt connection refused');
          const err = new Error(why) as AuthenticateError;
          err.returnCode = code as AuthenticateError['returnCode'];
          cb(err, false);
        };
        if (this.refuseEmptyId.has(client)) return refuse(2, 'empty-client-id-persistent-session');
        this.authenticate(client, username, password).then(
          (r) => {
            if ('refuse' in r) return refuse(r.refuse, r.why);
            this.principals.set(client, r.principal);
            counters.inc('mqtt.auth.accepted');
            if (r.via === 'certificate') counters.inc('mqtt.auth.accepted.certificate');
            cb(null, true);
          },
          (err: Error) => {
            if (isVerifierBusy(err)) return refuse(3, 'hash-share-exhausted', true);
            log.error({ err, clientId: client.id, username }, 'mqtt authentication failed');
            refuse(5, 'error');
          },
        );
      },
      authorizePublish: (client, packet, answer) => {
        // The alarm path's first mark (press-timing.ts): one number, handed to the handlers.
        const receivedAt = preciseNow();
        const p = client ? this.principals.get(client) : undefined;
        // A will (client gone) is not read from a socket: nothing to pause.
        const held = client && !client.closed ? this.window.hold(client) : null;
        // A will (published after close) always passes: it is how the board learns the device is
        // gone; it and a user's publish skip the rate limit, a device's own goes through it.
        const device = client !== null && !client.closed && p?.kind === 'device';
        const job = new PublishJob(this.publishSteps, client, packet, answer, receivedAt, p, held, device);
        // Readings and status reports wait for a slice; alarm events go at once (reading-slices.ts).
        // A device over its rate limit goes straight to the limiter, which holds it anyway: a
        // slice's delay would let its next publish find a fresh token and end its over-limit
        // streak, so a flooder would never be marked flooding.
        if (device && isReading(packet.topic) && !this.limiter.overLimit(p.username)) this.slices.defer(client, job);
        else this.slices.now(client, job);
      },
      // Read access for every delivered message (live, retained, queued for a persistent
      // session), as mosquitto checks it: a deny narrower than the subscription holds.
      authorizeForward: (client, packet) => (this.mayForward(client, packet.topic) ? packet : null),
      authorizeSubscribe: (client, sub, cb) => {
        const p = this.principals.get(client);
        if (p && this.acl.canSubscribe(p, sub.topic)) return cb(null, sub);
        counters.inc('mqtt.subscribe.denied');
        log.warn({ clientId: client.id, username: p?.username, topic: sub.topic }, 'subscription refused by ACL');
        cb(null, null); // SUBACK 0x80 for this filter, connection kept
      },
    }).catch(async (err: unknown) => {
      // Redis unreachable at start (the session store is read in setup): leave nothing open.
      await this.redis?.close();
      this.redis = undefined;
      throw err;
    });
    this.aedes.on('client', (client) => {
      const p = this.principals.get(client);
      if (p?.kind === 'device') this.limiter.connected(client, p.username);
      if (this.redis) this.dropWillsElsewhere(client.id);
    });
    this.aedes.on('clientDisconnect', (client) => this.limiter.disconnected(client));
    this.aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'));
    this.aedes.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt connection error'));
    // aedes reports a persistence failure outside any client (its periodic sweep of dead
    // brokers' wills) as 'error': with Redis down that must be a log line, not the end of the process.
    if (this.redis) (this.aedes as unknown as EventEmitter).on('error', (err: Error) => log.warn({ err: err.message }, 'mqtt broker error (redis)'));
  }

  /**
   * Cluster mode: a client connected here, so a will another node stored for the same client id
   * is obsolete (redis-transport.ts, dropWillsElsewhere). Without this, the wills of the devices
   * of a node that died were published once aedes found it dead (3 × cluster.mqttHeartbeatSeconds
   * without its heartbeat), after those devices had reconnected through the balancer to another
   * node: a false `offline`, and a device-offline alarm for a device connected all along
   * (tests/integration/cluster/outages.test.ts).
   */
  private dropWillsElsewhere(clientId: string): void {
    const aedes = this.aedes;
    const redis = this.redis;
    if (!aedes || !redis) return;
    const others = Object.keys((aedes as unknown as { brokers: Record<string, number> }).brokers).filter((id) => id !== aedes.id);
    if (others.length === 0) return;
    redis.persistence.dropWillsElsewhere(clientId, others).then(
      (n) => {
        if (n === 0) return;
        this.deps.counters.inc('cluster.mqtt.wills-dropped');
        this.deps.log.debug({ clientId, dropped: n }, 'will stored by another node dropped: the client connected here');
      },
      (err: Error) => {
        this.deps.counters.inc('cluster.redis.degraded');
        this.deps.log.debug({ clientId, err: err.message }, 'redis: a will stored by another node could not be dropped');
      },
    );
  }

  /**
   * Binds the MQTT TCP listener (mqtt.host:mqtt.port; port 0 picks a free one) and, when
   * mqtt.tls is configured, the TLS listener beside it.
   */
  async listen(): Promise<void> {
    const { config, counters, log } = this.deps;
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket, socket.remoteAddress));
    this.server = server;
    await bind(server, config.mqtt.port, config.mqtt.host);
    const tls = config.mqtt.tls;
    if (!tls) return;
    const tlsServer = createTlsListener(tls, await readMqttTlsFiles(tls), (socket) => this.accept(socket, socket.remoteAddress));
    tlsServer.on('tlsClientError', (err) => {
      counters.inc('mqtt.tls.handshake-failed');
      log.debug({ err: err.message }, 'mqtt tls handshake failed');
    });
    this.tlsServer = tlsServer;
    await bind(tlsServer, tls.port, tls.host ?? config.mqtt.host);
  }

  /**
   * Reads mqtt.tls's files again and gives the TLS listener the new certificate (SIGHUP): new
   * handshakes use it, established connections keep theirs. A bad file throws the coded error
   * of readTlsFiles and the listener keeps the certificate it had. Undefined without mqtt.tls.
   */
  async reloadTls(): Promise<CertificateInfo | undefined> {
    const tls = this.deps.config.mqtt.tls;
    if (!tls || !this.tlsServer) return undefined;
    const material = await readMqttTlsFiles(tls);
    this.tlsServer.setSecureContext(mqttSecureContext(material));
    return material.certificate;
  }

  /** Port the TCP listener is bound to (after listen). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Port the TLS listener is bound to (after listen); undefined without mqtt.tls. */
  get tlsPort(): number | undefined {
    if (!this.tlsServer) return undefined;
    return (this.tlsServer.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Serves one MQTT-over-WebSocket connection (mounted on the HTTP server); `address` is the client's. */
  handleStream(stream: Duplex, address?: string): void {
    if (address) this.streamAddresses.set(stream, address);
    this.accept(stream, address);
  }

  /**
   * A new connection: within its address's CONNECT budget it goes to aedes; over it, it is
   * closed at once, before aedes parses anything or a password is hashed (connect-guard.ts).
   */
  private accept(conn: Duplex, address: string | undefined): void {
    if (!this.connectGuard.admit(address ?? 'unknown')) {
      conn.destroy();
      return;
    }
    this.aedes?.handle(conn);
  }

  /** Addresses refused for their CONNECT budget (mqtt.connectLimit), most refused first. */
  throttledAddresses(): ThrottledAddress[] {
    return this.connectGuard.throttled();
  }

  private addressOf(client: Client): string {
    const conn = client.conn as Duplex & { remoteAddress?: string };
    return this.streamAddresses.get(conn) ?? conn.remoteAddress ?? 'unknown';
  }

  /**
   * Cluster mode (Redis): publishes of the other nodes' clients matching `filter`, after they
   * were acknowledged there; never ingested here (their own node did), for health only. False
   * without Redis.
   */
  onOtherNodes(filter: string, handler: (topic: string, payload: Buffer) => void): boolean {
    if (!this.redis) return false;
    this.redis.mq.onRemote(filter, (m) => {
      const payload = (m as { payload?: unknown }).payload;
      handler(String(m.topic), Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : ''));
    });
    return true;
  }

  /** Device readings and status reports waiting for their slice (reading-slices.ts). */
  readingSlices(): SliceStats {
    return this.slices.stats();
  }

  /** Connections not read now: `mqtt.receiveMaximum` of their publishes are still in progress. */
  pausedClients(): number {
    return this.window.paused();
  }

  connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  /**
   * In-process subscribers. They run inside authorizePublish, i.e. before aedes acknowledges
   * a client's publish: aedes 1.x writes PUBACK first and only then publishes a QoS 1 message
   * (lib/handlers/publish.js), so a subscriber on its message emitter would see the message
   * after the device was told it was safe. Running here, an alarm is committed before PUBACK.
   */
  /** Each subscriber's filter, split into levels once. */
  private readonly handlers: { levels: string[]; handler: MqttHandler }[] = [];

  /**
   * Runs every matching handler, in order, each after the one before is done. Undefined when
   * all of them were done at once (a reading); else a promise that rejects only when a handler's
   * work could not be committed (isUncommitted: the state database is unreachable), after the
   * others ran. Any other failure is counted and the message still acknowledged, as a malformed
   * payload is.
   */
  private dispatch(topic: string, payload: Buffer | string, receivedAt?: number): Promise<void> | undefined {
    const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    for (let i = 0; i < this.handlers.length; i++) {
      const { levels: filter, handler } = this.handlers[i] as (typeof this.handlers)[number];
      if (!filterMatchesTopic(filter, topic)) continue;
      let r: void | Promise<void>;
      try {
        r = handler(topic, buf, receivedAt);
      } catch (err) {
        r = Promise.reject(err);
      }
      // From the first handler that must wait, the rest run after it, as they always did.
      if (r) return this.dispatchAfter(r, i + 1, topic, buf, receivedAt);
    }
    return undefined;
  }

  private async dispatchAfter(first: Promise<void>, from: number, topic: string, buf: Buffer, receivedAt: number | undefined): Promise<void> {
    let uncommitted: unknown;
    const failed = (err: unknown) => {
      if (isUncommitted(err)) {
        uncommitted ??= err;
        return;
      }
      // A handler bug must not lose the message silently: counted, and visible on /api/health.
      this.deps.counters.inc('rejects.handler-failed');
      this.deps.log.error({ err, topic }, 'mqtt handler failed');
    };
    await first.catch(failed);
    for (let i = from; i < this.handlers.length; i++) {
      const { levels: filter, handler } = this.handlers[i] as (typeof this.handlers)[number];
      if (!filterMatchesTopic(filter, topic)) continue;
      try {
        await handler(topic, buf, receivedAt);
      } catch (err) {
        failed(err);
      }
    }
    if (uncommitted !== undefined) throw uncommitted;
  }

  readonly bus: MqttBus = {
    subscribe: async (filter: string, handler: MqttHandler) => {
      const entry = { levels: filter.split('/'), handler };
      this.handlers.push(entry);
      return async () => {
        const i = this.handlers.indexOf(entry);
        if (i >= 0) this.handlers.splice(i, 1);
      };
    },
    publish: async (topic, payload, opts = {}) => {
      // The gateway's own publishes bypass authorizePublish: hand them to in-process subscribers here.
      await this.dispatch(topic, payload);
      const packet = { cmd: 'publish' as const, topic, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload), qos: opts.qos ?? 0, retain: opts.retain ?? false, dup: false };
      if (!packet.retain) return this.publishPacket(packet);
      // aedes delivers a message to a client only if its broker counter is newer than the last
      // one it delivered from the same broker id (de-duplication across a cluster). A retained
      // message is numbered when published but delivered only once its copy is stored, so a
      // device's message numbered later and delivered at once made subscribers drop it (an
      // integrator on campus/# lost the raise of an alarm). The gateway's retained messages are
      // therefore a stream of their own (own broker id, own counter), published one at a time so
      // their numbers follow their delivery order.
      const turn = this.retainedTurn.then(() => this.publishPacket({ ...packet, brokerId: `${this.requireAedes().id}:retained`, brokerCounter: ++this.retainedCounter }));
      this.retainedTurn = turn.catch(() => undefined);
      return turn;
    },
  };

  /** The gateway's retained publishes, one at a time (see bus.publish). */
  private retainedTurn: Promise<void> = Promise.resolve();
  private retainedCounter = 0;

  private publishPacket(packet: Parameters<Aedes['publish']>[0] & { brokerId?: string; brokerCounter?: number }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.requireAedes().publish(packet, (err) => (err ? reject(err) : resolve()));
    });
  }

  async stop(): Promise<void> {
    // Stop accepting first; the listeners' close completes once aedes has closed their clients.
    const closing = [this.server, this.tlsServer].map((srv) => (srv ? new Promise<void>((resolve) => srv.close(() => resolve())) : undefined));
    this.server = undefined;
    this.tlsServer = undefined;
    this.limiter.stop();
    this.slices.clear();
    const aedes = this.aedes;
    this.aedes = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await Promise.all(closing);
    await this.redis?.close();
    this.redis = undefined;
    if (this.db) await this.db.close();
    this.db = undefined;
  }

  /** Replaces the configured ACL rules at run time; cached delivery decisions are dropped. */
  setAclRules(rules: GatewayConfig['mqtt']['acl']): void {
    this.acl.setRules(rules);
  }

  private mayPublish(client: Client, p: Principal, topic: string): boolean {
    const device = this.acl.devicePublish(p, topic);
    if (device !== undefined) return device;
    let cache = this.publishCaches.get(client);
    if (!cache?.current) {
      cache = this.acl.publishCache(p, this.deps.config.mqtt.aclCacheTopics);
      this.publishCaches.set(client, cache);
    }
    return cache.canPublish(topic);
  }

  private mayForward(client: Client, topic: string): boolean {
    let cache = this.forwardCaches.get(client);
    if (!cache?.current) {
      const p = this.principals.get(client);
      if (!p) {
        this.deps.counters.inc('mqtt.forward.denied');
        return false;
      }
      cache = this.acl.forwardCache(p, this.deps.config.mqtt.aclCacheTopics);
      this.forwardCaches.set(client, cache);
    }
    if (cache.canRead(topic)) return true;
    this.deps.counters.inc('mqtt.forward.denied');
    return false;
  }

  private requireAedes(): Aedes {
    if (!this.aedes) throw new Error('broker not started');
    return this.aedes;
  }

  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<AuthResult> {
    const { config, registry } = this.deps;
    const clientId = client.id;
    const peer = peerIdentity(client.conn);
    if (peer.kind === 'rejected') return { refuse: 5, why: 'bad-certificate' };
    if (peer.kind === 'certificate') {
      // The certificate names the account; a username, if sent, must agree; no password needed.
      const id = peer.commonName;
      if (username && username !== id) return { refuse: 5, why: 'certificate-username-mismatch' };
      if (registry.get(id)) return { principal: { username: id, clientId, kind: 'device' }, via: 'certificate' };
      const user = config.mqtt.users.find((u) => u.username === id);
      if (user) return { principal: { username: id, clientId, kind: 'user', role: user.role }, via: 'certificate' };
      return { refuse: 5, why: 'unknown-certificate-identity' };
    }
    if (!username) {
      return config.mqtt.allowAnonymous ? { principal: { username: '', clientId, kind: 'anonymous' }, via: 'anonymous' } : { refuse: 5, why: 'anonymous' };
    }
    const pw = password ?? Buffer.alloc(0);
    const bad = { refuse: 4, why: 'bad-credentials' } as const;
    const device = registry.get(username);
    if (device?.secretHash !== undefined) {
      return (await this.verifier.verify(username, pw, device.secretHash, this.addressOf(client))) ? { principal: { username, clientId, kind: 'device' }, via: 'password' } : bad;
    }
    const user = config.mqtt.users.find((u) => u.username === username);
    if (user?.passwordHash !== undefined && (await this.verifier.verify(username, pw, user.passwordHash, this.addressOf(client)))) {
      return { principal: { username, clientId, kind: 'user', role: user.role }, via: 'password' };
    }
    return bad;
  }
}

/**
 * Connections the kernel holds for accept() (capped by net.core.somaxconn). Node's default, 511,
 * fills within a quarter second of a 2,000/s connect flood when the event loop is slow; the
 * kernel then drops every SYN, a device's as well, and its TCP retries back off 1, 2, 4, 8 s.
 * Connections over an address's budget are closed right after accept (connect-guard.ts).
 */
const LISTEN_BACKLOG = 8192;

function bind(server: Server | TlsServer, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
