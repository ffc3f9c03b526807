/**
 * The composition root: the only place that wires the gateway's parts together.
 * build() returns a running gateway that does not listen; listen() binds the ports;
 * close() releases everything (nothing keeps the process alive afterwards).
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Adapter, AdapterContext, AdapterFactory, DeviceEventInput } from './contract/adapter.js';
import type { ArrivalMarks } from './contract/press-timing.js';
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
import { LinkTestMonitor, parseAnnouncedTest } from './core/devices/link-tests.js';
import { DeviceReadings, isDeviceState } from './core/devices/readings.js';
import { ClockDriftBook } from './core/devices/clock-drift.js';
import { PressAcks } from './core/alarms/press-acks.js';
import { PressPathRecorder } from './core/alarms/press-path.js';
import { checkConfig } from './contract/config-check.js';
import { applyHeapGrowth } from './heap-growth.js';
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
import type { Duty } from './cluster/duties.js';
import { SINGLETON_LEASE } from './cluster/duties.js';
import type { ClusterRuntime } from './cluster/runtime.js';
import { createAnnouncer, type Announcer } from './cluster/announce.js';
import { NodeWatch } from './cluster/node-watch.js';
import type { BroadcastChange } from './core/broadcast/types.js';
import type { Health } from './contract/types.js';

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
  /** Cluster mode (cluster.databaseUrl): the lease, the singleton duties, the node registry. */
  readonly cluster?: ClusterRuntime;
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
/** Presses whose alarm-path marks GET /api/diagnostics/press-path keeps (the newest). */
const PRESS_PATH_CAPACITY = 1000;
/** Cluster mode with Redis: how often this node's changed device readings go to the others, and how many devices a message carries. */
const READINGS_RELAY_MS = 2000;
const READINGS_PER_MESSAGE = 500;
const READINGS_MESSAGES = 4;

/** An adapter's configuration checked against its schema; problems are named by their path in the site file. */
function adapterConfig(factory: AdapterFactory<never>, raw: unknown): unknown {
  return checkConfig(factory.configSchema, raw, '', `/adapters/${factory.type}`);
}

export async function build(loaded: LoadedConfig, opts: BuildOptions = {}): Promise<Gateway> {
  const { config } = loaded;
  // Process-wide (worker threads included), set before anything of the gateway is built.
  applyHeapGrowth(config.memory.heapGrowthPercent);
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
    const factory = await findAdapter(type);
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

  const telemetry = opts.telemetry ?? await createTelemetryStore(config, dataDir, log.child({ part: 'telemetry' }), clock);
  const counters = new Counters();
  const bus = new EventBus(log.child({ part: 'bus' }));
  const registry = new Registry(loaded.sites, loaded.devices);
  // SQLite in the data dir, or PostgreSQL (cluster.databaseUrl, migrated first).
  const store = await openStateStore({ config, dataDir, log: log.child({ part: 'store' }) });
  // Where each millisecond of a press goes (GET /metrics, GET /api/diagnostics/press-path).
  const pressPath = new PressPathRecorder(PRESS_PATH_CAPACITY);
  const alarms = new AlarmService(store, bus, clock, pressPath);
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
  /** Cluster mode: tells the other nodes of a drill's change (NOTIFY drill_changed) and re-reads theirs (set below). */
  let announcer: Announcer | undefined;
  const drillService = new DrillService({
    announce: (id) => void announcer?.announce('drill_changed', id),
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
  // Cluster mode: singleton duties run only on the node holding the lease (gateway/cluster/duties.ts).
  const databaseUrl = config.cluster.databaseUrl;
  // PostgreSQL's and Redis's clients are loaded only in cluster mode.
  const cluster = databaseUrl ? new (await import('./cluster/runtime.js')).ClusterRuntime({ config: { ...config.cluster, databaseUrl }, log: log.child({ part: 'cluster' }), clients: () => broker.connectedClients() }) : undefined;
  const duties = cluster?.duties;
  /** Health-derived alarms are a singleton duty: raised only by the lease holder (always, without cluster mode). */
  const raisesHealthAlarms = () => duties === undefined || duties.active();
  // The broker reports per-device conditions it sees itself (a flooding device, throttled then cut off).
  broker.onDeviceCondition((id, code, active, detail) => health.setCondition(id, code, active, detail));

  const barrierWatch = new BarrierWatch(registry, alarms, health, clock, config.barriers.downInWindowGraceSeconds, log.child({ part: 'barriers' }));
  bus.on('device.event', 'barriers', (e) => {
    if (raisesHealthAlarms()) barrierWatch.onEvent(e);
  });
  // Every device's state at a glance: the latest reading of each field, kept behind in the store.
  const readings = new DeviceReadings(store, clock, (err) => log.warn({ err: errorMessage(err) }, 'device state could not be kept'));
  await readings.start();
  bus.on('device.event', 'state', (e) => readings.observe(e));
  bus.on('health.changed', 'rules', ({ health: h, previous }) => {
    if (raisesHealthAlarms()) void rules.onHealth(h, previous);
  });
  bus.on('health.changed', 'telemetry', ({ health: h, from }) => {
    // Another node's view joined this one's: that node writes its own points.
    if (from !== undefined) return;
    telemetry.write([
      {
        measurement: 'health',
        tags: { site: h.siteId, device: h.deviceId, kind: h.kind },
        fields: { status: h.status, up: h.status === 'offline' ? 0 : 1, reasons: h.reasons.map((r) => r.code).join(',') },
        at: h.checkedAt,
      },
    ]);
  });
  bus.on('alarm.changed', 'telemetry', ({ alarm, change }) => {
    // Another node's change, re-read here: that node wrote its point.
    if (change === 'refreshed') return;
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
  bus.on('alarm.changed', 'mqtt', ({ alarm, change }) => {
    // Another node's change: that node published it (the retained state reaches every node through Redis).
    if (change !== 'refreshed') void publishAlarm(alarm);
  });
    // The button that pressed hears when 110 received it and when an officer acknowledged it.
  const pressAcks = new PressAcks({
    device: (id) => registry.get(id),
    publish: (topic, payload) => broker.bus.publish(topic, payload, { qos: 1 }),
    note: (id, entry) => alarms.note(id, entry),
    clock,
    warn: (detail, msg) => log.warn(detail, msg),
  });
  bus.on('alarm.changed', 'press-acks', ({ alarm, change }) => {
    // Another node's change: that node tells the button.
    if (change !== 'refreshed') pressAcks.onChange(alarm, change);
  });
  // Cluster mode: a press taken here is reported to 110 by the lease holder; its note says when
  // the frame was written and answered, which completes this node's press-path record.
  bus.on('alarm.changed', 'press-path', ({ alarm, change }) => {
    if (change !== 'refreshed') return;
    const acked = alarm.timeline.findLast((e) => e.action === 'forward-acked');
    const d = acked?.data as { writtenAt?: unknown; answeredAt?: unknown; receiver?: unknown; attempt?: unknown } | undefined;
    if (typeof d?.writtenAt !== 'number') return;
    pressPath.delivered(alarm.id, {
      writtenAt: d.writtenAt,
      ...(typeof d.answeredAt === 'number' ? { answeredAt: d.answeredAt } : {}),
      ...(typeof d.receiver === 'string' ? { receiver: d.receiver } : {}),
      ...(typeof d.attempt === 'number' ? { attempt: d.attempt } : {}),
    });
  });

  await telemetry.start();
  await broker.start();
  health.start();
  // Cluster mode: devices connected to other nodes keep their liveness here too (§3 of the cluster
  // design), so the lease holder's health-derived alarms never see them as silent.
  if (cluster) {
    broker.onOtherNodes('campus/v1/+/+/+', (topic, payload) => {
      const [, , siteId, deviceId, leaf] = topic.split('/');
      if (!deviceId || (leaf !== 'status' && leaf !== 'telemetry' && leaf !== 'event')) return;
      if (registry.get(deviceId)?.siteId !== siteId) return;
      const text = leaf === 'status' ? payload.toString('utf8').trim() : '';
      health.heardElsewhere(deviceId, clock.now(), leaf === 'status' && (text === 'offline' || text.includes('"offline"')));
    });
  }

  /** An event not taken: if not committed (the state database unreachable), counted; the adapter does not acknowledge the device, which sends it again. */
  const uncommitted = (err: unknown): never => {
    if (isUncommitted(err)) counters.inc('store.unavailable');
    throw err;
  };
  const settled = (): undefined => undefined;
  /** AdapterContext.emitNow, for every adapter: an uncommitted event is counted (one pair of functions for all events, not one per event). */
  const emitNow = (input: DeviceEventInput, arrival?: ArrivalMarks): Promise<void> | undefined => {
    try {
      const r = pipeline.ingestNow(input, arrival);
      return r instanceof Promise ? r.then(settled, uncommitted) : undefined;
    } catch (err) {
      return uncommitted(err);
    }
  };
  const adapters = new Map<string, Adapter>();
  /** Cluster mode: the singleton adapters, started and stopped with the lease (after build). */
  const singletonAdapters: { type: string; adapter: Adapter; start: () => Promise<void> }[] = [];
  const linkTests = new LinkTestMonitor(registry, health, store, clock, config.health.linkTestMaxAgeDays);
  for (const [type, factory] of factories) {
    const alog = log.child({ adapter: type });
    const ctx: AdapterContext = {
      log: alog,
      clock,
      devices: registry,
      bus: broker.bus,
      dataDir: join(dataDir, 'adapters', type),
      emit: async (input, arrival) => emitNow(input, arrival),
      emitNow,
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
    const startAdapter = async () => {
      try {
        await adapter.start();
      } catch (err) {
        // A failed adapter is a health state of its devices (and, through it, an alarm), not a dead gateway.
        alog.error({ err }, 'adapter failed to start');
        counters.inc(`adapters.failed.${type}`);
        for (const d of registry.list({ adapter: type })) health.setCondition(d.id, 'unreachable', true, `adapter failed to start: ${(err as Error).message}`);
      }
    };
    if (duties && (factory.cluster ?? 'singleton') === 'singleton') singletonAdapters.push({ type, adapter, start: startAdapter });
    else await startAdapter();
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
      pressPath,
      log: log.child({ part: 'forwarder', channel: link.channel }),
      onTestAcked: (deviceId, at, latencyMs, receiver) => linkTests.record(deviceId, { at, latencyMs: Math.round(latencyMs * 10) / 10, ...(receiver ? { receiver } : {}) }),
    });
    // A new alarm's outbox entry commits with the alarm, before the device is acknowledged (on every node).
    alarms.participate(fwd);
    // A test press's report is queued before the button is acknowledged, as a press's alarm is.
    pipeline.durable('forwarder', (e) => (e.type === 'test' && registry.get(e.deviceId)?.kind === 'alarm-button' ? fwd.enqueueTest(e.deviceId) : undefined));
    // Cluster mode: only the lease holder pumps, its delivery writes fenced by the lease token.
    if (!duties) await fwd.start();
    forwarders.push(fwd);
  }
  if (forwarders.length > 0 && !duties) await linkTests.start();

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
    // Cluster mode: the holder of the singleton duties (and its bound channels) leads every broadcast.
    ...(duties ? { lead: () => duties.active() } : {}),
  });
  const bindChannelOf = (type: string, adapter: Adapter): (() => void) | undefined => {
    const channel = adapter.channel?.();
    if (!channel) return undefined;
    const carrier = carriers.get(channel.name);
    if (carrier === type) return broadcasts.bindChannel(channel);
    if (carrier) log.info({ adapter: type, channel: channel.name, carrier }, 'channel not bound: broadcast.channelAdapters names another adapter');
    else log.warn({ adapter: type, channel: channel.name }, 'channel not bound: its adapter does not declare it (AdapterFactory.channels)');
    return undefined;
  };
  for (const [type, adapter] of adapters) {
    // Cluster mode: a singleton adapter's channel is bound while it runs (on the lease holder).
    if (!singletonAdapters.some((s) => s.type === type)) bindChannelOf(type, adapter);
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
  // One embedded node runs it; in cluster mode it is a singleton duty (the lease holder's, below).
  if (!duties) escalation.start();

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
  // Cluster mode: sweeps left running are closed by the node taking the duties (it runs them all).
  await sweeps.start({ leftovers: !duties });
  const sweepScheduler = new SweepScheduler(config.sweeps.schedules, { engine: sweeps, log: log.child({ part: 'sweep-schedule' }) });
  if (!duties) sweepScheduler.start();

  if (cluster && duties) {
    // The order of §2 of the cluster design: the 110 link and its pump first, then the other
    // links and polls, then what only watches.
    const adapterDuty = ({ type, adapter, start }: (typeof singletonAdapters)[number]): Duty => {
      let unbind: (() => void) | undefined;
      return {
        name: type,
        start: async () => {
          await start();
          unbind = bindChannelOf(type, adapter);
        },
        stop: async () => {
          unbind?.();
          unbind = undefined;
          await adapter.stop();
        },
      };
    };
    const carriesLink = (a: Adapter) => a.forwarding?.() !== undefined;
    for (const s of singletonAdapters.filter((x) => carriesLink(x.adapter))) duties.add(adapterDuty(s));
    for (const fwd of forwarders) {
      duties.add({
        name: `${fwd.channel}-outbox`,
        start: (token) => fwd.start({ outbox: store.outbox.fenced?.({ lease: SINGLETON_LEASE, token }) ?? store.outbox }),
        stop: () => fwd.stop(),
      });
    }
    if (forwarders.length > 0) {
      // Woken by NOTIFY outbox (another node queued an entry); a slow poll as the safety net.
      let poll: NodeJS.Timeout | undefined;
      duties.add({
        name: 'outbox-poll',
        start: async () => {
          clearInterval(poll);
          poll = setInterval(() => forwarders.forEach((f) => f.wake()), Math.max(1000, (cluster.takeoverSeconds * 1000) / 2));
        },
        stop: async () => clearInterval(poll),
      });
    }
    for (const s of singletonAdapters.filter((x) => !carriesLink(x.adapter))) duties.add(adapterDuty(s));
    // Once its channels are bound: the open broadcasts and recent alarms without one.
    duties.add({ name: 'broadcasts', start: () => broadcasts.takeOver(), stop: async () => broadcasts.handOver() });
    if (forwarders.length > 0) duties.add({ name: 'link-tests', start: () => linkTests.start(), stop: async () => linkTests.stop() });
    duties.add({ name: 'sweep-schedules', start: async () => sweepScheduler.start(), stop: async () => sweepScheduler.stop() });
    // On-demand sweeps run on the holder (forwarded there); a new holder seals a dead one's as cancelled.
    duties.add({ name: 'sweeps', start: () => sweeps.closeLeftovers(), stop: () => sweeps.cancelRunning('this node gave up the singleton duties') });
    // Escalation derives what is due from the store, so a new holder continues where the old one was.
    duties.add({ name: 'escalation', start: async () => escalation.start(), stop: () => escalation.stop() });
    duties.add({
      name: 'health-alarms',
      start: async () => undefined,
      stop: async () => {
        rules.stop();
        barrierWatch.stop();
      },
    });
    // node-down: raised by the holder for a node whose heartbeat stopped, cleared when it is back.
    const policeSite = registry.sites().find((x) => x.kind === 'police') ?? registry.sites()[0];
    if (policeSite) {
      const watch = new NodeWatch({
        self: cluster.nodeId,
        list: () => cluster.listNodes(),
        alarms,
        siteId: policeSite.id,
        everyMs: Math.round((cluster.takeoverSeconds * 1000) / 3),
        log: log.child({ part: 'node-watch' }),
      });
      duties.add({ name: 'node-watch', start: () => watch.start(), stop: async () => watch.stop() });
    }
    // A drill started or ended on one node is a drill on every node (a press there is not a real
    // alarm); the NOTIFY, and the re-read at each node, tried again if they fail (announce.ts).
    const clusterAnnouncer = createAnnouncer({ pool: cluster.pool, log: log.child({ part: 'announce' }), counters });
    announcer = clusterAnnouncer;
    // A button's end-to-end 110 test is recorded by the node holding the 110 link; every node
    // shows it (GET /api/devices `linkTest`): announced with its commit, the rest read at start
    // and whenever the notification connection comes back.
    linkTests.announceWith((deviceId, test) => void clusterAnnouncer.announce('link_test', JSON.stringify({ deviceId, ...test })));
    const reloadLinkTests = () => void linkTests.load().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'link tests could not be read'));
    if (forwarders.length > 0) await linkTests.load();
    cluster.listener.onNotification((channel, payload) => {
      // Re-read, tried again if the read fails (announce.ts).
      if (channel === 'drill_changed') void clusterAnnouncer.reread({ drillId: payload }, () => drillService.refresh(payload));
      if (channel === 'link_test') {
        const announced = parseAnnouncedTest(payload);
        if (announced && registry.get(announced.deviceId)) linkTests.adopt(announced.deviceId, announced.test);
        else {
          counters.inc('cluster.link-test.malformed');
          log.warn({ payload: payload.slice(0, 200) }, 'announced link test not understood: ignored');
        }
      }
      if (channel === 'outbox') forwarders.find((f) => f.channel === payload)?.wake();
      else if (channel === 'alarm_changed') {
        // Another node's change (or this node's own, then ignored): re-read and push it to /api/live here.
        const [id, version] = payload.split(':');
        if (id) void clusterAnnouncer.reread({ alarmId: id }, () => alarms.refresh(id, Number(version)));
      }
    });
    // Notifications missed while the connection was down: the open alarms as the database has them.
    cluster.listener.onReconnect(() => void alarms.load().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'open alarms could not be reloaded')));
    cluster.listener.onReconnect(() => void drillService.reload().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'running drills could not be reloaded')));
    if (forwarders.length > 0) cluster.listener.onReconnect(reloadLinkTests);
  }

  // Live everywhere (cluster mode with Redis): this node's own health views and broadcast changes
  // go to every other node's /api/live (alarms travel by NOTIFY, with their commit). Best effort:
  // without Redis each node shows what it sees itself, and nothing else stops.
  const redisUrl = config.cluster.redisUrl;
  const relay = cluster && redisUrl ? new (await import('./cluster/live-relay.js')).LiveRelay({ url: redisUrl, nodeId: cluster.nodeId, log: log.child({ part: 'live-relay' }), counters }) : undefined;
  const remoteBroadcastListeners = new Set<(c: BroadcastChange) => void>();
  let forgetTimer: NodeJS.Timeout | undefined;
  const relayStops: (() => void)[] = [];
  if (relay && cluster) {
    const offOwn = health.onOwnChange((own) => void relay.publish('health', own));
    const offBroadcast = broadcasts.onChange((c) => void relay.publish('broadcast', c));
    const askForViews = () => void relay.publish('health-sync', null);
    // Another node's view, checked for shape before it joins this node's (a bad one is counted, never kept).
    const isHealth = (h: unknown): h is Health => {
      const v = h as Partial<Health> | null;
      return (
        typeof v?.deviceId === 'string' &&
        Array.isArray(v.reasons) &&
        v.reasons.every((r: unknown) => typeof (r as { code?: unknown } | null)?.code === 'string') &&
        (v.lastSeen === undefined || typeof v.lastSeen === 'number')
      );
    };
    const adopt = (node: string, h: unknown) => {
      if (isHealth(h)) health.adopt(node, h);
      else counters.inc('cluster.live.malformed');
    };
    // Device readings (GET /api/devices `state`: battery, barrier position…) are taken where a
    // device is connected or polled; every other node adopts them (the newer reading of a field
    // wins), in messages of at most READINGS_PER_MESSAGE devices, READINGS_MESSAGES every
    // READINGS_RELAY_MS: bounded work per turn of this event loop; a device changed again before
    // its turn is sent once, with its latest readings.
    readings.trackChanges();
    const relayReadings = setInterval(() => {
      for (let i = 0; i < READINGS_MESSAGES; i++) {
        const part = readings.ownChanges(READINGS_PER_MESSAGE);
        if (part.length === 0) break;
        void relay.publish('readings', part);
      }
    }, READINGS_RELAY_MS);
    relayReadings.unref();
    relayStops.push(() => clearInterval(relayReadings));
    const adoptReadings = (body: unknown) => {
      if (!Array.isArray(body)) return counters.inc('cluster.live.malformed');
      for (const entry of body) {
        const [id, state] = Array.isArray(entry) ? (entry as unknown[]) : [];
        if (typeof id === 'string' && registry.get(id) && isDeviceState(state)) readings.adopt(id, state);
        else counters.inc('cluster.live.malformed');
      }
    };
    relay.onMessage(({ node, kind, body }) => {
      if (kind === 'health') adopt(node, body);
      else if (kind === 'readings') adoptReadings(body);
      else if (kind === 'health-all') for (const h of Array.isArray(body) ? body : [body]) adopt(node, h);
      else if (kind === 'health-sync') void relay.publish('health-all', health.ownViews());
      else if (kind === 'broadcast') for (const l of [...remoteBroadcastListeners]) l(body as BroadcastChange);
      else counters.inc('cluster.live.unknown-kind');
    });
    // Missed while Redis was away (pub/sub keeps nothing): every node tells its views again.
    relay.onReconnect(askForViews);
    // A node that left or went silent: what it saw no longer counts here.
    forgetTimer = setInterval(() => {
      cluster
        .listNodes()
        .then((nodes) => {
          const alive = new Set(nodes.filter((n) => !n.down).map((n) => n.id));
          for (const node of health.remoteNodes()) if (!alive.has(node)) health.forgetNode(node);
        })
        .catch((err: unknown) => log.debug({ err: errorMessage(err) }, 'nodes could not be listed'));
    }, cluster.takeoverSeconds * 1000);
    forgetTimer.unref();
    relayStops.push(offOwn, offBroadcast);
    // Redis is not on the alarm path: the node starts whether it answers or not (ioredis keeps trying).
    await Promise.race([
      relay.start().then(askForViews, (err: unknown) => log.warn({ err: errorMessage(err) }, 'live relay: redis not reachable at start')),
      new Promise((resolve) => setTimeout(resolve, 5000).unref()),
    ]);
  }

  // A crash can come between committing an alarm and publishing it: publish open alarms again.
  await Promise.all(alarms.openAlarms().map(publishAlarm));

  // Cluster mode: the key every node signs forwarded requests with (holder-forward.ts, peer-views.ts).
  const forwardKey = cluster ? await cluster.forwardKey() : '';
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
    pressPath,
    broadcasts,
    operators,
    drills: drillService,
    oncall,
    sweeps: { engine: sweeps, store: sweepStore, audit: (e) => store.audit(e), now: () => clock.now() },
    outboxDepth: async () => Object.fromEntries(await Promise.all(forwarders.map(async (f) => [f.channel, (await f.pending()).length] as const))),
    ...(cluster ? { cluster } : {}),
    ...(relay
      ? {
          remoteBroadcasts: (cb: (c: BroadcastChange) => void) => {
            remoteBroadcastListeners.add(cb);
            return () => void remoteBroadcastListeners.delete(cb);
          },
        }
      : {}),
    // Every node signs and checks sessions with the same key: a login on one node is valid on all.
    ...(cluster && !config.auth.tokenSecret ? { tokenKey: await cluster.sharedTokenKey() } : {}),
    // A request needing the singleton duties, on a node without them, goes to the holder (README "Cluster mode").
    ...(cluster
      ? {
          holder: {
            nodeId: cluster.nodeId,
            isHolder: () => cluster.isHolder(),
            holder: () => cluster.holder(),
            key: forwardKey,
            timeoutMs: config.cluster.forwardTimeoutSeconds * 1000,
            retryAfterSeconds: config.cluster.takeoverSeconds,
          },
          // What each node measured itself (a device's clock) is gathered from all of them (peer-views.ts).
          peers: {
            nodeId: cluster.nodeId,
            key: forwardKey,
            timeoutMs: config.cluster.viewTimeoutSeconds * 1000,
            others: async () =>
              (await cluster.listNodes()).flatMap((n) => (n.id !== cluster.nodeId && !n.down && n.httpUrl !== undefined ? [{ id: n.id, httpUrl: n.httpUrl }] : [])),
          },
        }
      : {}),
    startedAt: clock.now(),
    dashboardDir: DASHBOARD_DIR,
    ...(httpTls ? { tls: httpTls } : {}),
    ...(opts.simulators ? { simulators: opts.simulators } : {}),
  });

  // Last: contend for the lease (the singleton duties start on this node if it wins).
  await cluster?.start();

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
    ...(cluster ? { cluster } : {}),
    async listen() {
      await broker.listen();
      await http.listen({ port: config.http.port, host: config.http.host });
      const address = http.server.address();
      const httpPort = typeof address === 'object' && address ? address.port : config.http.port;
      await cluster?.register({ httpPort, mqttPort: broker.port, httpHost: config.http.host, mqttHost: config.mqtt.host, https: httpTls !== undefined });
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
      clearInterval(forgetTimer);
      for (const off of relayStops) off();
      await relay?.stop();
      // The lease is released (its duties stopped) before anything else goes: another node takes over at once.
      announcer?.stop();
      await cluster?.stop();
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
