/**
 * The composition root: the only place that wires the gateway's parts together.
 * build() returns a running gateway that does not listen; listen() binds the ports;
 * close() releases everything (nothing keeps the process alive afterwards).
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Adapter, AdapterContext, AdapterFactory } from './contract/adapter.js';
import { findAdapter } from '../adapters/registry.js';
import type { LoadedConfig } from './config/load.js';
import { channelCarriers } from './config/channel-carriers.js';
import { Broker } from './broker/broker.js';
import { alarmTopic } from './contract/topics.js';
import { AlarmService } from './core/alarms/service.js';
import { systemClock, type Clock } from './contract/clock.js';
import { Counters } from './core/counters.js';
import { EventBus } from './core/bus.js';
import { HealthTracker } from './core/devices/health.js';
import { Pipeline } from './core/devices/pipeline.js';
import { Registry } from './core/devices/registry.js';
import { AlarmRules } from './core/alarms/rules.js';
import type { Alarm, Device } from './contract/types.js';
import { Forwarder } from './core/alarms/forwarder.js';
import { DrillService } from './core/drills/service.js';
import { SweepEngine } from './core/sweeps/engine.js';
import { SweepScheduler } from './core/sweeps/scheduler.js';
import { BUTTON_SELF_TEST, createButtonSelfTest } from './core/sweeps/self-test.js';
import { barrierWindowJudge } from './core/barriers/sweep-judge.js';
import { BarrierWatch } from './core/barriers/watch.js';
import { BroadcastService } from './core/broadcast/service.js';
import { groupMembers } from './core/broadcast/policy.js';
import { EscalationService, type EscalationTarget } from './core/escalation/service.js';
import { BroadcastEscalationSender } from './core/escalation/broadcast-sender.js';
import { isOnCallRole } from './core/oncall/config.js';
import { OnCallService } from './core/oncall/service.js';
import { onCallOverrideStore } from './store/oncall-overrides.js';
import { LinkTestMonitor } from './core/devices/link-tests.js';
import { DeviceReadings } from './core/devices/readings.js';
import { ClockDriftBook } from './core/devices/clock-drift.js';
import { PressAcks } from './core/alarms/press-acks.js';
import { checkConfig } from './contract/config-check.js';
import { errorMessage, GatewayError, isUncommitted } from './contract/errors.js';
import { auditConfigChange } from './auth/config-audit.js';
import { OperatorService } from './auth/operators.js';
import { createHttpServer } from './http/server.js';
import { readHttpTlsFiles, setHttpsContext } from './http/https.js';
import { readMqttTlsFiles } from './broker/tls-listener.js';
import type { CertificateInfo } from './config/tls-files.js';
import { createLogger } from './logger.js';
import { PACKAGE_ROOT } from './package-root.js';
import { openStateStore } from './store/open-state-store.js';
import type { StateStore } from './store/stores.js';
import type { TelemetryStore } from './store/telemetry-store.js';
import { createTelemetryStore } from './store/telemetry-factory.js';
import { StorageWatch } from './core/alarms/storage-watch.js';
import type { SimulatorControlPort } from './contract/simulator-port.js';

export interface BuildOptions {
  log?: Logger;
  clock?: Clock;
  /** Telemetry store; by default InfluxDB when configured, else the embedded store. */
  telemetry?: TelemetryStore;
  /** The simulated district's control (main.ts --simulate, tests): serves /api/simulators. */
  simulators?: SimulatorControlPort;
}

export interface Gateway {
  readonly loaded: LoadedConfig;
  readonly log: Logger;
  readonly http: FastifyInstance;
  readonly broker: Broker;
  readonly registry: Registry;
  readonly health: HealthTracker;
  readonly alarms: AlarmService;
  readonly store: StateStore;
  readonly bus: EventBus;
  readonly counters: Counters;
  readonly telemetry: TelemetryStore;
  readonly adapters: ReadonlyMap<string, Adapter>;
  /** One forwarder per far-end link an adapter offers (the 110 centre). */
  readonly forwarders: readonly Forwarder[];
  readonly linkTests: LinkTestMonitor;
  /** Every device's latest reading of each field (GET /api/devices: `state`). */
  readonly readings: DeviceReadings;
  readonly broadcasts: BroadcastService;
  readonly sweeps: SweepEngine;
  readonly drills: DrillService;
  readonly oncall: OnCallService;
  /** Escalates unacknowledged alarms; started here (one embedded node), a lease holder's job in cluster mode. */
  readonly escalation: EscalationService;
  /** Binds MQTT TCP and HTTP; returns the bound ports (`https` when http.tls is set). */
  listen(): Promise<{ httpPort: number; mqttPort: number; mqttTlsPort?: number; https: boolean }>;
  /**
   * Reads http.tls's and mqtt.tls's files again and swaps the listeners' certificates (SIGHUP,
   * gateway/process.ts): new connections get the new one, open ones stay. A part whose files
   * are bad keeps its certificate; the first such error (GW_ERR_CONFIG_INVALID) is thrown after
   * every part was tried. Counted as `tls.reload.ok` / `tls.reload.failed`.
   */
  reloadCertificates(): Promise<CertificateReload>;
  close(): Promise<void>;
}

/** The certificate each TLS listener presents after a reload (absent: that listener has no TLS). */
export interface CertificateReload {
  http?: CertificateInfo;
  mqtt?: CertificateInfo;
}

/** A listener's certificate in the log: info, a warning within 14 days of its end, an error once it ended. */
function logCertificate(log: Logger, listener: string, certificate: CertificateInfo, now: number, msg: string): void {
  const daysLeft = Math.floor((Date.parse(certificate.validTo) - now) / 86_400_000);
  const entry = { listener, certificate, daysLeft };
  if (daysLeft < 0) log.error(entry, `${msg}: EXPIRED on ${certificate.validTo}, clients will refuse it`);
  else if (daysLeft < 14) log.warn(entry, `${msg}: expires in ${daysLeft} days (${certificate.validTo})`);
  else log.info(entry, msg);
}

const DASHBOARD_DIR = join(PACKAGE_ROOT, 'dashboard', 'dist');

/** An adapter's configuration checked against its schema; problems are named by their path in the site file. */
function adapterConfig(factory: AdapterFactory<never>, raw: unknown): unknown {
  return checkConfig(factory.configSchema, raw, '', `/adapters/${factory.type}`);
}

export async function build(loaded: LoadedConfig, opts: BuildOptions = {}): Promise<Gateway> {
  const { config } = loaded;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger({ level: config.log.level, pretty: config.log.pretty });
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  for (const warning of loaded.warnings ?? []) log.warn(warning);
  // Certificate files are read and checked before anything starts: a bad path or a key that is
  // not the certificate's is a coded configuration error now, never a failure of a listener later.
  const httpTls = config.http.tls ? await readHttpTlsFiles(config.http.tls) : undefined;
  const mqttTls = config.mqtt.tls ? await readMqttTlsFiles(config.mqtt.tls) : undefined;
  if (httpTls) logCertificate(log, 'http', httpTls.certificate, clock.now(), 'certificate');
  if (mqttTls) logCertificate(log, 'mqtt', mqttTls.certificate, clock.now(), 'certificate');

  // Which adapters run: every type devices name, plus every type configured. A site file sets
  // `adapters.<type>: null` to drop one the default district configures.
  const configured = Object.entries(config.adapters).filter(([, v]) => v !== null).map(([k]) => k);
  const types = new Set<string>([...loaded.devices.map((d) => d.adapter), ...configured]);
  const factories = new Map<string, AdapterFactory<never>>();
  for (const type of types) {
    const factory = findAdapter(type);
    if (!factory) {
      const where = loaded.devices.find((d) => d.adapter === type);
      throw new GatewayError('GW_ERR_UNKNOWN_ADAPTER', `'${type}'${where ? ` (device ${where.id})` : ` (/adapters/${type})`}`);
    }
    factories.set(type, factory);
  }
  // Which adapter carries each broadcast channel (sms over SMPP or CMPP): refused here, before anything starts, when ambiguous.
  const carriers = channelCarriers([...factories.values()], config.broadcast.channelAdapters);
  const adapterConfigs = new Map<string, unknown>();
  for (const [type, factory] of factories) {
    const raw = config.adapters[type] ?? (type === 'mqtt-native' ? { maxPayloadBytes: config.mqtt.maxPayloadBytes } : {});
    adapterConfigs.set(type, adapterConfig(factory, raw));
  }

  const telemetry = opts.telemetry ?? createTelemetryStore(config, dataDir, log.child({ part: 'telemetry' }), clock);
  const counters = new Counters();
  const bus = new EventBus(log.child({ part: 'bus' }));
  const registry = new Registry(loaded.sites, loaded.devices);
  // SQLite in the data dir, or PostgreSQL (cluster.databaseUrl, migrated first).
  const store = await openStateStore({ config, dataDir, log: log.child({ part: 'store' }) });
  const alarms = new AlarmService(store, bus, clock);
  await alarms.load();
  // The data directory full (SQLite): a critical alarm held in memory until it can be written.
  const storageSite = loaded.sites.find((s) => s.kind === 'police') ?? loaded.sites[0];
  const storageWatch =
    store.storage && storageSite
      ? new StorageWatch({ alarms, siteId: storageSite.id, signal: store.storage, clock, counters, log: log.child({ part: 'storage' }) })
      : undefined;
  await auditConfigChange(store, config, loaded.sources, clock.now());
  const operators = new OperatorService({
    config: config.auth,
    store: store.auth,
    clock,
    counters,
    audit: (e) => store.audit({ at: clock.now(), ...e }),
    schoolExists: (id) => registry.site(id)?.kind !== 'police' && registry.site(id) !== undefined,
  });
  const isPassive = (d: Device) => factories.get(d.adapter)?.availability !== 'active';
  const health = new HealthTracker(registry, bus, clock, config.health, isPassive);
  // Rules ask the drill service whether a school is drilling; its report reads the broadcasts.
  const drillService = new DrillService({
    repo: store.drills,
    alarms,
    clock,
    broadcastsOf: async (alarmId) => (await Promise.all((await broadcasts.list({ alarmId })).map((b) => broadcasts.get(b.id)))).flatMap((b) => b ?? []),
    log: log.child({ part: 'drills' }),
  });
  const rules = new AlarmRules(
    alarms,
    registry,
    clock,
    { offlineAlarmAfter: config.health.offlineAlarmAfter, isDrill: (siteId) => drillService.activeAt(siteId) !== undefined },
    log.child({ part: 'rules' }),
  );
  const pipeline = new Pipeline(registry, health, rules, telemetry, bus, clock, counters);
  // One clock view: every device and link that reports time (GET /api/clock-drift).
  const clockDrift = new ClockDriftBook(health, config.health.clockDriftSeconds);
  pipeline.observeClocks((device, e, deviceAt) => clockDrift.observe(device, e, deviceAt));
  const broker = new Broker({ config, registry, log: log.child({ part: 'mqtt' }), counters, dataDir, clock });
  // The broker reports per-device conditions it sees itself (a flooding device, throttled then cut off).
  broker.onDeviceCondition((id, code, active, detail) => health.setCondition(id, code, active, detail));

  const barrierWatch = new BarrierWatch(registry, alarms, health, clock, config.barriers.downInWindowGraceSeconds, log.child({ part: 'barriers' }));
  bus.on('device.event', 'barriers', (e) => barrierWatch.onEvent(e));
  // Every device's state at a glance: the latest reading of each field, kept behind in the store.
  const readings = new DeviceReadings(store, clock, (err) => log.warn({ err: errorMessage(err) }, 'device state could not be kept'));
  await readings.start();
  bus.on('device.event', 'state', (e) => readings.observe(e));
  bus.on('health.changed', 'rules', ({ health: h, previous }) => void rules.onHealth(h, previous));
  bus.on('health.changed', 'telemetry', ({ health: h }) =>
    telemetry.write([
      {
        measurement: 'health',
        tags: { site: h.siteId, device: h.deviceId, kind: h.kind },
        fields: { status: h.status, up: h.status === 'offline' ? 0 : 1, reasons: h.reasons.map((r) => r.code).join(',') },
        at: h.checkedAt,
      },
    ]),
  );
  bus.on('alarm.changed', 'telemetry', ({ alarm, change }) => {
    const device = alarm.deviceId ? registry.get(alarm.deviceId) : undefined;
    telemetry.write([
      {
        measurement: 'alarm',
        tags: { site: alarm.siteId, device: alarm.deviceId ?? '', kind: device?.kind ?? 'alarm-centre', type: alarm.type },
        fields: { change, state: alarm.state, severity: alarm.severity, repeats: alarm.repeats, drill: alarm.drill, id: alarm.id },
        at: alarm.updatedAt,
      },
    ]);
  });
  bus.on('reject', 'counters', (r) => counters.inc(`rejects.${r.reason}`));
  // Retained current state of every alarm for MQTT integrators [DESIGN: campus/v1/alarms/{id}].
  const publishAlarm = (alarm: Alarm) =>
    broker.bus
      .publish(alarmTopic(alarm.id), JSON.stringify(alarm), { qos: 1, retain: true })
      .catch((err: unknown) => log.warn({ err, alarmId: alarm.id }, 'alarm publish failed'));
  bus.on('alarm.changed', 'mqtt', ({ alarm }) => void publishAlarm(alarm));
  // The button that pressed hears when 110 received it and when an officer acknowledged it.
  const pressAcks = new PressAcks({
    device: (id) => registry.get(id),
    publish: (topic, payload) => broker.bus.publish(topic, payload, { qos: 1 }),
    note: (id, entry) => alarms.note(id, entry),
    clock,
    warn: (detail, msg) => log.warn(detail, msg),
  });
  bus.on('alarm.changed', 'press-acks', ({ alarm, change }) => pressAcks.onChange(alarm, change));

  await telemetry.start();
  await broker.start();
  health.start();

  const adapters = new Map<string, Adapter>();
  const linkTests = new LinkTestMonitor(registry, health, store, clock, config.health.linkTestMaxAgeDays);
  for (const [type, factory] of factories) {
    const alog = log.child({ adapter: type });
    const ctx: AdapterContext = {
      log: alog,
      clock,
      devices: registry,
      bus: broker.bus,
      dataDir: join(dataDir, 'adapters', type),
      emit: async (input) => {
        try {
          await pipeline.ingest(input);
        } catch (err) {
          // Not committed: the adapter does not acknowledge the device, which sends it again.
          if (isUncommitted(err)) counters.inc('store.unavailable');
          throw err;
        }
      },
      setCondition: (deviceId, code, active, detail) => health.setCondition(deviceId, code, active, detail),
      addDevice: (discovered) => {
        const { device, added } = registry.add(type, discovered);
        health.track(device);
        if (added) alog.info({ deviceId: device.id, siteId: device.siteId, kind: device.kind }, 'device discovered');
        return device;
      },
      reject: (reason, detail, deviceId) => {
        alog.warn({ reason, deviceId, detail }, 'input rejected');
        bus.emit('reject', { source: type, reason, detail, at: clock.now(), ...(deviceId ? { deviceId } : {}) });
      },
    };
    const adapter = factory.create(adapterConfigs.get(type) as never, ctx);
    adapters.set(type, adapter);
    try {
      await adapter.start();
    } catch (err) {
      // A failed adapter is a health state of its devices (and, through it, an alarm), not a dead gateway.
      alog.error({ err }, 'adapter failed to start');
      counters.inc(`adapters.failed.${type}`);
      for (const d of registry.list({ adapter: type })) health.setCondition(d.id, 'unreachable', true, `adapter failed to start: ${(err as Error).message}`);
    }
  }

  // Far-end links (the 110 centre): alarms and end-to-end tests leave through the durable outbox.
  const forwarders: Forwarder[] = [];
  for (const adapter of adapters.values()) {
    const link = adapter.forwarding?.();
    if (!link) continue;
    const fwd = new Forwarder({
      link,
      outbox: store.outbox,
      alarms,
      registry,
      clock,
      log: log.child({ part: 'forwarder', channel: link.channel }),
      onTestAcked: (deviceId, at, latencyMs, receiver) => linkTests.record(deviceId, { at, latencyMs: Math.round(latencyMs * 10) / 10, ...(receiver ? { receiver } : {}) }),
    });
    // A new alarm's outbox entry commits with the alarm, before the device is acknowledged.
    alarms.participate(fwd);
    // A test press's report is queued before the button is acknowledged, as a press's alarm is.
    pipeline.durable('forwarder', async (e) => {
      if (e.type === 'test' && registry.get(e.deviceId)?.kind === 'alarm-button') await fwd.enqueueTest(e.deviceId);
    });
    await fwd.start();
    forwarders.push(fwd);
  }
  if (forwarders.length > 0) await linkTests.start();

  // Who is on call per role: the roster's shifts, and overrides kept in the state store.
  const oncall = new OnCallService({ config: config.oncall, repo: onCallOverrideStore(store), audit: store, clock });
  await oncall.start();
  const onCallContact = (role: string) => {
    const duty = isOnCallRole(role) ? oncall.onDutyCached(role) : undefined;
    return duty && { name: duty.person.name, ...(duty.person.phone ? { phone: duty.person.phone } : {}), ...(duty.person.radio ? { radio: duty.person.radio } : {}) };
  };

  // One call, a hundred answers: broadcasts over every channel an adapter offers (radio, SMS) with roll-call.
  const broadcasts = new BroadcastService({
    oncall: onCallContact,
    config: config.broadcast,
    repo: store.broadcasts,
    audit: store,
    alarms,
    registry,
    bus,
    clock,
    log: log.child({ part: 'broadcast' }),
  });
  for (const [type, adapter] of adapters) {
    const channel = adapter.channel?.();
    if (!channel) continue;
    const carrier = carriers.get(channel.name);
    if (carrier === type) broadcasts.bindChannel(channel);
    else if (carrier) log.info({ adapter: type, channel: channel.name, carrier }, 'channel not bound: broadcast.channelAdapters names another adapter');
    else log.warn({ adapter: type, channel: channel.name }, 'channel not bound: its adapter does not declare it (AdapterFactory.channels)');
  }
  await broadcasts.start();

  // Escalation: unacknowledged alarms go to the people on call, through the broadcast channels.
  const escalationSender = new BroadcastEscalationSender({ broadcasts, alarms, log: log.child({ part: 'escalation' }) });
  const escalation = new EscalationService({
    config: config.escalation,
    alarms,
    bus,
    clock,
    log: log.child({ part: 'escalation' }),
    audit: store,
    counters,
    sender: escalationSender,
    targets: async (notify, alarm): Promise<EscalationTarget[]> => {
      if (isOnCallRole(notify)) {
        const duty = await oncall.onDuty(notify);
        return duty ? [{ name: duty.person.name, via: notify, ...(duty.person.phone ? { phone: duty.person.phone } : {}), ...(duty.person.radio ? { radio: duty.person.radio } : {}) }] : [];
      }
      return groupMembers(config.broadcast, notify, registry.sites(), alarm.siteId, onCallContact).map((m) => ({ name: m.name, via: notify, ...(m.phone ? { phone: m.phone } : {}), ...(m.radio ? { radio: m.radio } : {}) }));
    },
  });
  escalationSender.start();
  // One embedded node runs it; in cluster mode this is the call a lease holder would own.
  escalation.start();

  await drillService.start();
  bus.on('alarm.changed', 'drills', ({ alarm, change }) => {
    if (change === 'raised') drillService.onAlarm(alarm).catch((err: unknown) => log.error({ err: errorMessage(err), alarmId: alarm.id }, 'drill alarm could not be recorded'));
  });

  // Technicians' health sweeps, on demand and on the configured schedules.
  const sweepStore = store.sweeps;
  const sweeps = new SweepEngine(
    {
      registry,
      health,
      adapters,
      recorder: sweepStore,
      clock,
      log: log.child({ part: 'sweeps' }),
      heartbeatTimeout: config.health.heartbeatTimeout,
      district: { id: config.district.id, name: config.district.name, ...(config.district.nameEn ? { nameEn: config.district.nameEn } : {}) },
      judges: [barrierWindowJudge((id) => registry.site(id), (err, d) => log.warn({ err, siteId: d.siteId }, 'protection windows of the site cannot be evaluated'))],
      extras: new Map([
        [
          BUTTON_SELF_TEST,
          createButtonSelfTest({ publish: (topic, payload) => broker.bus.publish(topic, payload, { qos: 1 }), lastLinkTest: (id) => linkTests.last(id), health, clock }),
        ],
      ]),
    },
    { concurrency: config.sweeps.concurrency, timeoutMs: config.sweeps.timeoutMs, maxRunning: config.sweeps.maxRunning, kinds: config.sweeps.kinds },
  );
  await sweeps.start();
  const sweepScheduler = new SweepScheduler(config.sweeps.schedules, { engine: sweeps, log: log.child({ part: 'sweep-schedule' }) });
  sweepScheduler.start();

  // A crash can come between committing an alarm and publishing it: publish open alarms again.
  await Promise.all(alarms.openAlarms().map(publishAlarm));

  const http = await createHttpServer({
    config,
    log,
    clock,
    registry,
    health,
    alarms,
    store,
    telemetry,
    bus,
    counters,
    broker,
    adapters,
    linkTests,
    readings,
    clockDrift,
    broadcasts,
    operators,
    drills: drillService,
    oncall,
    sweeps: { engine: sweeps, store: sweepStore, audit: (e) => store.audit(e), now: () => clock.now() },
    outboxDepth: async () => Object.fromEntries(await Promise.all(forwarders.map(async (f) => [f.channel, (await f.pending()).length] as const))),
    startedAt: clock.now(),
    dashboardDir: DASHBOARD_DIR,
    ...(httpTls ? { tls: httpTls } : {}),
    ...(opts.simulators ? { simulators: opts.simulators } : {}),
  });

  let closed = false;
  return {
    loaded,
    log,
    http,
    broker,
    registry,
    health,
    alarms,
    store,
    bus,
    counters,
    telemetry,
    adapters,
    forwarders,
    linkTests,
    readings,
    broadcasts,
    sweeps,
    drills: drillService,
    oncall,
    escalation,
    async listen() {
      await broker.listen();
      await http.listen({ port: config.http.port, host: config.http.host });
      const address = http.server.address();
      const httpPort = typeof address === 'object' && address ? address.port : config.http.port;
      return { httpPort, mqttPort: broker.port, ...(broker.tlsPort !== undefined ? { mqttTlsPort: broker.tlsPort } : {}), https: httpTls !== undefined };
    },
    async reloadCertificates() {
      const reloaded: CertificateReload = {};
      const failures: unknown[] = [];
      const part = async (name: 'http' | 'mqtt', reload: () => Promise<CertificateInfo | undefined>) => {
        try {
          const info = await reload();
          if (!info) return;
          reloaded[name] = info;
          counters.inc('tls.reload.ok');
          logCertificate(log, name, info, clock.now(), 'certificate reloaded');
        } catch (err) {
          failures.push(err);
          counters.inc('tls.reload.failed');
          log.error({ listener: name, code: (err as GatewayError).code, err: errorMessage(err) }, 'certificate reload failed: the listener keeps its certificate');
        }
      };
      await part('http', async () => {
        if (!config.http.tls) return undefined;
        const material = await readHttpTlsFiles(config.http.tls);
        setHttpsContext(http, material);
        return material.certificate;
      });
      await part('mqtt', () => broker.reloadTls());
      if (failures.length > 0) throw failures[0];
      return reloaded;
    },
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
      sweepScheduler.stop();
      await sweeps.stop();
      drillService.stop();
      await escalation.stop();
      escalationSender.stop();
      await broadcasts.stop();
      for (const [type, adapter] of adapters) {
        await adapter.stop().catch((err: unknown) => log.error({ err, adapter: type }, 'adapter stop failed'));
      }
      for (const f of forwarders) await f.stop();
      linkTests.stop();
      rules.stop();
      barrierWatch.stop();
      health.stop();
      await readings.stop();
      storageWatch?.stop();
      await broker.stop();
      await telemetry.stop();
      await store.close();
    },
  };
}
