/**
 * The configuration schema. Validated once at load; every error is reported as
 * `path: message`; on success the configuration is frozen.
 */
import { Type, type Static } from '@sinclair/typebox';
import { AuthConfigSchema } from '../auth/auth-config.js';
import { ClusterConfigSchema } from '../cluster/cluster-config.js';
import { BroadcastConfigSchema } from '../core/broadcast/config.js';
import { EscalationConfigSchema } from '../core/escalation/config.js';
import { OnCallConfigSchema } from '../core/oncall/config.js';
import { SweepsConfigSchema } from '../core/sweeps/config.js';
import { DEVICE_KINDS } from '../contract/vocabulary.js';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'lower-case id: a-z 0-9 . _ -' });
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

export const ProtectionWindowSchema = Type.Object(
  {
    days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1 }),
    start: HHMM,
    end: HHMM,
    label: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const DeviceSchema = Type.Object(
  {
    id: Id,
    kind: Type.Union(DEVICE_KINDS.map((k) => Type.Literal(k))),
    name: Type.String({ minLength: 1 }),
    adapter: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * MQTT password hash in mosquitto 2.x's format (`mosquitto_passwd` or `npm run
     * hash-device-secret`): `$7$<iterations>$<salt>$<PBKDF2-SHA512>` (gateway/broker/password-hash.ts).
     */
    secretHash: Type.Optional(Type.String({ minLength: 1 })),
    /** Plaintext MQTT password, for tests and benchmarks only: hashed in memory at load, with a warning. */
    secret: Type.Optional(Type.String({ minLength: 8 })),
    heartbeatTimeout: Type.Optional(Type.Number({ minimum: 0.1, description: 'seconds' })),
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

export const SiteSchema = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1 }),
    nameEn: Type.Optional(Type.String()),
    /** A school, or a police station / command centre that hosts the district's channels. */
    kind: Type.Union([Type.Literal('school'), Type.Literal('police')], { default: 'school' }),
    district: Type.String({ minLength: 1 }),
    location: Type.Optional(
      Type.Object({ lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) }, { additionalProperties: false }),
    ),
    timeZone: Type.String({ default: 'Asia/Shanghai' }),
    protectionWindows: Type.Array(ProtectionWindowSchema, { default: [] }),
    holidays: Type.Array(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), { default: [] }),
    arcAccount: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{3,16}$' })),
    contacts: Type.Array(
      Type.Object(
        { name: Type.String(), role: Type.String(), phone: Type.Optional(Type.String()), radio: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
    devices: Type.Array(DeviceSchema, { default: [] }),
  },
  { additionalProperties: false },
);

export const AclRuleSchema = Type.Object(
  {
    /** Applies to this username only; omitted = every authenticated client (mosquitto `pattern`). */
    user: Type.Optional(Type.String()),
    /** Topic filter; `%u` is replaced by the username and `%c` by the client id. */
    topic: Type.String({ minLength: 1 }),
    access: Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('readwrite'), Type.Literal('deny')]),
  },
  { additionalProperties: false },
);

export const MqttUserSchema = Type.Object(
  {
    username: Type.String({ minLength: 1 }),
    /** mosquitto 2.x `$7$` hash, as for devices' `secretHash`. */
    passwordHash: Type.Optional(Type.String({ minLength: 1 })),
    /** Plaintext, for tests and benchmarks only: hashed in memory at load, with a warning. */
    password: Type.Optional(Type.String({ minLength: 8 })),
    /** 'integrator' may read gateway topics per ACL; 'device-bridge' may publish for any device. */
    role: Type.Union([Type.Literal('integrator'), Type.Literal('service')], { default: 'integrator' }),
  },
  { additionalProperties: false },
);

/** MQTT over TLS beside the plain listener; a verified client certificate's CN names the device. */
export const MqttTlsSchema = Type.Object(
  {
    /** Defaults to mqtt.host. */
    host: Type.Optional(Type.String()),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8883 }),
    certFile: Type.String({ minLength: 1 }),
    keyFile: Type.String({ minLength: 1 }),
    /** CA that signs device certificates; required when requireClientCert is true. */
    caFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Refuse the TLS handshake without a certificate from caFile. */
    requireClientCert: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

/**
 * HTTPS for the API, the dashboard and every WebSocket on the HTTP server (/api/live, the
 * camera live view, MQTT over WebSocket). Reloaded on SIGHUP without dropping connections.
 */
export const HttpTlsSchema = Type.Object(
  {
    /** The server certificate (PEM), optionally followed by its chain. */
    certFile: Type.String({ minLength: 1 }),
    keyFile: Type.String({ minLength: 1 }),
    /** Intermediate CA certificates (PEM) sent after the certificate, when certFile holds it alone. */
    caFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Strict-Transport-Security max-age; 0 sends no HSTS header. */
    hstsMaxAgeSeconds: Type.Integer({ minimum: 0, default: 15552000 }),
  },
  { additionalProperties: false },
);

/**
 * Per-device publish limit (token bucket). Defaults sit far above anything a simulator or
 * benchmark sends per device (a 100 ms heartbeat is 10/s; a radio box acks ~35 talkgroups at once).
 */
export const MqttRateLimitSchema = Type.Object(
  {
    /** Sustained publishes per second per device; 0 turns the limit off. */
    messagesPerSecond: Type.Number({ minimum: 0, default: 50 }),
    /** Publishes a quiet device may send at once. */
    burst: Type.Integer({ minimum: 1, default: 200 }),
    /** Over the limit this long without a break: disconnected, health reason `flooding`. */
    disconnectAfterSeconds: Type.Number({ minimum: 0.1, default: 10 }),
    /** `flooding` clears once the device has stayed connected this long without being throttled. */
    clearAfterSeconds: Type.Number({ minimum: 0.1, default: 60 }),
  },
  { additionalProperties: false, default: {} },
);

/**
 * CONNECT floods (mqtt.connectLimit): a per-address budget of CONNECTs, and a bounded share of
 * the password-hashing slots per address. Connections over the budget are closed at accept;
 * checks over the hashing share get CONNACK 3 (server unavailable).
 */
export const MqttConnectLimitSchema = Type.Object(
  {
    /** Sustained new connections (CONNECTs) per second per client address; 0 turns the budget off. */
    perSecond: Type.Number({ minimum: 0, default: 100 }),
    /** Connections an address may open at once (a school's devices behind one NAT address reconnecting). */
    burst: Type.Integer({ minimum: 1, default: 500 }),
    /** Connections more each refused authentication (wrong password) takes from its address's budget. */
    failurePenalty: Type.Number({ minimum: 0, default: 10 }),
    /** Addresses or CIDR blocks never limited (a load balancer that hides client addresses). */
    exempt: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** Password hashes one address may have running at once (of the broker's 2). */
    hashSlotsPerAddress: Type.Integer({ minimum: 1, default: 1 }),
    /** Password checks one address may have waiting for a slot; beyond: CONNACK 3. */
    hashQueuePerAddress: Type.Integer({ minimum: 1, default: 256 }),
  },
  { additionalProperties: false, default: {} },
);

export const ConfigSchema = Type.Object(
  {
    district: Type.Object(
      { id: Id, name: Type.String(), nameEn: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
    dataDir: Type.String({ default: './data' }),
    /** The process's memory behaviour (gateway/heap-growth.ts). */
    memory: Type.Object(
      {
        /**
         * How far the JS heap may grow past what was live at the last full garbage collection
         * before the next one (percent): 50 keeps it within ~1.5× its live data. 0 = V8's own
         * (up to 4× on a machine with gigabytes of memory).
         */
        heapGrowthPercent: Type.Integer({ minimum: 0, maximum: 300, default: 50 }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
        pretty: Type.Boolean({ default: false }),
      },
      { additionalProperties: false, default: {} },
    ),
    http: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
        bodyLimit: Type.Integer({ minimum: 1024, default: 65536 }),
        /** Addresses (or CIDR blocks) that may read GET /metrics without an operator login: the Prometheus server. */
        metricsAllow: Type.Array(Type.String({ minLength: 1 }), { default: ['127.0.0.0/8', '::1/128'] }),
        /** HTTPS instead of HTTP on http.port (absent: plain HTTP). */
        tls: Type.Optional(HttpTlsSchema),
        /**
         * Behind a reverse proxy: which peers' X-Forwarded-For / X-Forwarded-Proto are believed
         * (fastify trustProxy): true (any), addresses/CIDR blocks, or the number of proxy hops.
         * The believed client address is what the audit log, login lockout and rate limits see.
         */
        trustProxy: Type.Union([Type.Boolean(), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), Type.Integer({ minimum: 1 })], { default: false }),
        /** Requests per client (operator, or address before login) per window; beyond it: 429. */
        rateLimit: Type.Object(
          {
            max: Type.Integer({ minimum: 1, default: 1200 }),
            windowSeconds: Type.Integer({ minimum: 1, default: 60 }),
            /** Login attempts per address per window (on top of the per-account lockout). */
            loginMax: Type.Integer({ minimum: 1, default: 20 }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    mqtt: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 1883 }),
        /** MQTT over WebSocket on the HTTP server; empty string disables it. */
        websocketPath: Type.String({ default: '/mqtt' }),
        allowAnonymous: Type.Boolean({ default: false }),
        persistence: Type.Union([Type.Literal('level'), Type.Literal('memory')], { default: 'level' }),
        maxPayloadBytes: Type.Integer({ minimum: 256, default: 16384 }),
        users: Type.Array(MqttUserSchema, { default: [] }),
        acl: Type.Array(AclRuleSchema, { default: [] }),
        /** Delivery decisions (read access per topic) remembered per connection; the oldest go first. */
        aclCacheTopics: Type.Integer({ minimum: 1, default: 4096 }),
        /**
         * Publishes of one connection worked on at once (as MQTT 5's Receive Maximum); past it the
         * connection is not read until one is answered (gateway/broker/receive-window.ts).
         */
        receiveMaximum: Type.Integer({ minimum: 1, maximum: 65535, default: 4 }),
        tls: Type.Optional(MqttTlsSchema),
        rateLimit: MqttRateLimitSchema,
        connectLimit: MqttConnectLimitSchema,
      },
      { additionalProperties: false, default: {} },
    ),
    health: Type.Object(
      {
        /** Seconds without any message before `no-heartbeat`, per device kind. */
        heartbeatTimeout: Type.Record(Type.String(), Type.Number({ minimum: 0.1 }), {
          default: { 'alarm-button': 90, barrier: 60, camera: 180, sms: 120, radio: 120, 'alarm-centre': 120 },
        }),
        lowBatteryPercent: Type.Number({ minimum: 0, maximum: 100, default: 20 }),
        simExpiringDays: Type.Integer({ minimum: 0, default: 30 }),
        /** A button with no ACKed end-to-end 110 test in this many days is `not-linked-110`. */
        linkTestMaxAgeDays: Type.Integer({ minimum: 1, default: 7 }),
        /** Seconds offline before a device-offline alarm is raised (0 disables). */
        offlineAlarmAfter: Type.Number({ minimum: 0, default: 300 }),
        /** A device whose own time (MQTT `at`, DC-09 timestamps) is further off than this is `clock-drift`. */
        clockDriftSeconds: Type.Number({ minimum: 1, default: 30 }),
      },
      { additionalProperties: false, default: {} },
    ),
    barriers: Type.Object(
      {
        /** A barrier lowered inside a protection window for longer than this raises barrier-down-in-window. */
        downInWindowGraceSeconds: Type.Number({ minimum: 0, default: 120 }),
      },
      { additionalProperties: false, default: {} },
    ),
    alarms: Type.Object(
      {
        /** Instructions shown to the duty officer per alarm type (Chinese first). */
        instructions: Type.Record(Type.String(), Type.String(), { default: {} }),
      },
      { additionalProperties: false, default: {} },
    ),
    telemetry: Type.Object(
      {
        influx: Type.Optional(
          Type.Object(
            {
              url: Type.String({ minLength: 1 }),
              database: Type.String({ default: 'campus' }),
              username: Type.Optional(Type.String()),
              password: Type.Optional(Type.String()),
              retentionDays: Type.Integer({ minimum: 1, default: 30 }),
            },
            { additionalProperties: false },
          ),
        ),
        batchSize: Type.Integer({ minimum: 1, default: 5000 }),
        /**
         * How long points gather before they go to the store (a device's reading is acknowledged
         * once in the readings journal, gateway/store/telemetry-journal.ts, not after this). Short,
         * because a point is held in this process's memory until its store confirms it: held for
         * 1 s at 5,000 readings/s, every young-generation GC copied the 5,000 live points (~10 ms
         * each, 8 % of the event loop, and the press path's p99 was 41–61 ms at 10,000 devices; at
         * 200 ms: 17 ms).
         */
        flushIntervalMs: Type.Integer({ minimum: 10, default: 200 }),
        spoolMaxBytes: Type.Integer({ minimum: 1024, default: 256 * 1024 * 1024 }),
        /**
         * Points held in memory before device readings wait for room (back-pressure: no PUBACK
         * until the reading is queued and journaled). Embedded: the bound itself; InfluxDB:
         * batches spill to the spool past it, readings wait past twice it. Default: 20,000
         * embedded, 50,000 InfluxDB.
         */
        maxBufferedPoints: Type.Optional(Type.Integer({ minimum: 100 })),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Operator accounts, roles, sessions and lockout. */
    auth: AuthConfigSchema,
    /** Who is told of an incident, on which channel, with which words (一呼百应). */
    broadcast: BroadcastConfigSchema,
    /** Unacknowledged alarms go to the people on call, step by step (gateway/core/escalation/config.ts). */
    escalation: EscalationConfigSchema,
    /** Who is on call per role: people and weekly shifts (gateway/core/oncall/config.ts). */
    oncall: OnCallConfigSchema,
    /** Technicians' health sweeps: concurrency, per-check timeout, cron schedules. */
    sweeps: SweepsConfigSchema,
    /** Cluster mode: PostgreSQL, Redis, leases (gateway/cluster/cluster-config.ts); absent = one embedded process. */
    cluster: ClusterConfigSchema,
    /** Per adapter type configuration, validated against that adapter's own schema. */
    adapters: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
    sites: Type.Array(SiteSchema, { minItems: 0 }),
    /** Only read by the simulators (`npm start`, `npm run simulate`). */
    simulation: Type.Object(
      {
        heartbeatSeconds: Type.Number({ minimum: 0.05, default: 30 }),
        /** Device id → faults the simulated device starts in (e.g. `sim-suspended`, `dead`). */
        faults: Type.Record(Type.String(), Type.Array(Type.String()), { default: {} }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type GatewayConfig = Static<typeof ConfigSchema>;
export type SiteConfig = Static<typeof SiteSchema>;
export type DeviceConfig = Static<typeof DeviceSchema>;
export type AclRule = Static<typeof AclRuleSchema>;
export type MqttUser = Static<typeof MqttUserSchema>;
export type MqttTlsConfig = Static<typeof MqttTlsSchema>;
export type HttpTlsConfig = Static<typeof HttpTlsSchema>;
export type MqttRateLimit = Static<typeof MqttRateLimitSchema>;
