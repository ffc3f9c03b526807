/**
 * The embedded MQTT broker (aedes) with device authentication, the topic ACL, disk
 * persistence, a TCP listener and an MQTT-over-WebSocket handler for the HTTP server.
 *
 * aedes leaves a few MQTT 3.1.1 statements open; they are closed here:
 * - [MQTT-3.1.3-8] an empty client id with CleanSession 0 is refused with CONNACK 0x02;
 * - a forbidden subscription gets SUBACK 0x80 [MQTT-3.9.3] instead of a dropped connection;
 * - a wrong password never kicks the session already connected under that id (aedes takes
 *   over an existing client only after authentication succeeds [MQTT-3.1.4-2]).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesOptions, type Client, type AuthenticateError } from 'aedes';
import { ClassicLevel } from 'classic-level';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../config/schema.js';
import type { DeviceRegistry, MqttBus, MqttHandler } from '../../adapters/types.js';
import type { Counters } from '../core/counters.js';
import { Acl, type Principal } from './acl.js';
import { IndexedLevelPersistence } from './indexed-persistence.js';
import { topicMatches } from './topics.js';

export interface BrokerDeps {
  config: GatewayConfig;
  registry: DeviceRegistry;
  log: Logger;
  counters: Counters;
  dataDir: string;
}

const digest = (s: string | Buffer) => createHash('sha256').update(s).digest();
/** Constant-time comparison of secrets (hashed first so lengths never leak). */
const sameSecret = (a: string | Buffer, b: string) => timingSafeEqual(digest(a), digest(b));

export class Broker {
  aedes?: Aedes;
  private server?: Server;
  private db?: ClassicLevel<string, string>;
  private readonly principals = new WeakMap<Client, Principal>();
  private readonly refuseEmptyId = new WeakSet<Client>();
  private readonly acl: Acl;

  constructor(private readonly deps: BrokerDeps) {
    this.acl = new Acl(deps.config.mqtt.acl, deps.registry);
  }

  async start(): Promise<void> {
    const { config, log, counters } = this.deps;
    let persistence: AedesOptions['persistence'];
    if (config.mqtt.persistence === 'level') {
      const dir = join(this.deps.dataDir, 'mqtt');
      mkdirSync(dir, { recursive: true });
      this.db = new ClassicLevel(dir);
      persistence = new IndexedLevelPersistence(this.db);
    }
    this.aedes = await Aedes.createBroker({
      ...(persistence ? { persistence } : {}),
      heartbeatInterval: 60_000,
      drainTimeout: 30_000,
      maxClientsIdLength: 128,
      preConnect: (client, packet, cb) => {
        // [MQTT-3.1.3-8]: remembered here because aedes replaces the empty id before authenticate.
        if (!packet.clientId && packet.clean === false) this.refuseEmptyId.add(client);
        cb(null, true);
      },
      authenticate: (client, username, password, cb) => {
        const refuse = (code: 2 | 4 | 5, why: string) => {
          counters.inc(`mqtt.auth.refused.${why}`);
          log.warn({ clientId: client.id, username, why }, 'mqtt connection refused');
          const err = new Error(why) as AuthenticateError;
          err.returnCode = code as AuthenticateError['returnCode'];
          cb(err, false);
        };
        if (this.refuseEmptyId.has(client)) return refuse(2, 'empty-client-id-persistent-session');
        const principal = this.authenticate(client.id, username, password);
        if (!principal) return refuse(username ? 4 : 5, username ? 'bad-credentials' : 'anonymous');
        this.principals.set(client, principal);
        counters.inc('mqtt.auth.accepted');
        cb(null, true);
      },
      authorizePublish: (client, packet, cb) => {
        const p = client ? this.principals.get(client) : undefined;
        // client is null for the will of a client long gone: checked when it connected.
        if (!client || (p && this.acl.canPublish(p, packet.topic))) {
          void this.dispatch(packet.topic, packet.payload).finally(() => cb(null));
          return;
        }
        counters.inc('mqtt.publish.denied');
        log.warn({ clientId: client?.id, username: p?.username, topic: packet.topic }, 'publish refused by ACL');
        // [MQTT-3.3.5-2]: no way to tell a 3.1.1 client; the connection is closed.
        cb(new Error(`not authorized to publish to ${packet.topic}`));
      },
      authorizeSubscribe: (client, sub, cb) => {
        const p = this.principals.get(client);
        if (p && this.acl.canSubscribe(p, sub.topic)) return cb(null, sub);
        counters.inc('mqtt.subscribe.denied');
        log.warn({ clientId: client.id, username: p?.username, topic: sub.topic }, 'subscription refused by ACL');
        cb(null, null); // SUBACK 0x80 for this filter, connection kept
      },
    });
    this.aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'));
    this.aedes.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt connection error'));
  }

  /** Binds the MQTT TCP listener (mqtt.host:mqtt.port; port 0 picks a free one). */
  async listen(): Promise<void> {
    const { config } = this.deps;
    this.server = createServer({ noDelay: true }, (socket) => this.aedes?.handle(socket));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(config.mqtt.port, config.mqtt.host, () => resolve());
    });
  }

  /** Port the TCP listener is bound to (after start). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Serves one MQTT-over-WebSocket connection (mounted on the HTTP server). */
  handleStream(stream: Duplex): void {
    this.aedes?.handle(stream);
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
  private readonly handlers: { filter: string; handler: MqttHandler }[] = [];

  private async dispatch(topic: string, payload: Buffer | string): Promise<void> {
    const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    for (const { filter, handler } of this.handlers) {
      if (!topicMatches(filter, topic)) continue;
      try {
        await handler(topic, buf);
      } catch (err) {
        this.deps.log.error({ err, topic }, 'mqtt handler failed');
      }
    }
  }

  readonly bus: MqttBus = {
    subscribe: async (filter: string, handler: MqttHandler) => {
      const entry = { filter, handler };
      this.handlers.push(entry);
      return async () => {
        const i = this.handlers.indexOf(entry);
        if (i >= 0) this.handlers.splice(i, 1);
      };
    },
    publish: async (topic, payload, opts = {}) => {
      // The gateway's own publishes bypass authorizePublish: hand them to in-process subscribers here.
      await this.dispatch(topic, payload);
      await new Promise<void>((resolve, reject) => {
        this.requireAedes().publish(
          {
            cmd: 'publish',
            topic,
            payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
            qos: opts.qos ?? 0,
            retain: opts.retain ?? false,
            dup: false,
          },
          (err) => (err ? reject(err) : resolve()),
        );
      });
    },
  };

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    const aedes = this.aedes;
    this.aedes = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (this.db) await this.db.close();
    this.db = undefined;
  }

  private requireAedes(): Aedes {
    if (!this.aedes) throw new Error('broker not started');
    return this.aedes;
  }

  private authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): Principal | undefined {
    const { config, registry } = this.deps;
    if (!username) return config.mqtt.allowAnonymous ? { username: '', clientId, kind: 'anonymous' } : undefined;
    const pw = password ?? Buffer.alloc(0);
    const device = registry.get(username);
    if (device?.secret !== undefined) {
      return sameSecret(pw, device.secret) ? { username, clientId, kind: 'device' } : undefined;
    }
    const user = config.mqtt.users.find((u) => u.username === username);
    if (user && sameSecret(pw, user.password)) return { username, clientId, kind: 'user', role: user.role };
    return undefined;
  }
}
