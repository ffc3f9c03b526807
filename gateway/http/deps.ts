import type { Logger } from 'pino';
import type { Adapter } from '../contract/adapter.js';
import type { GatewayConfig } from '../config/schema.js';
import type { Broker } from '../broker/broker.js';
import type { AlarmService } from '../core/alarms/service.js';
import type { Clock } from '../contract/clock.js';
import type { Counters } from '../core/counters.js';
import type { EventBus } from '../core/bus.js';
import type { HealthTracker } from '../core/devices/health.js';
import type { OperatorService } from '../auth/operators.js';
import type { LinkTestMonitor } from '../core/devices/link-tests.js';
import type { DeviceReadings } from '../core/devices/readings.js';
import type { ClockDriftBook } from '../core/devices/clock-drift.js';
import type { BroadcastService } from '../core/broadcast/service.js';
import type { PressPathRecorder } from '../core/alarms/press-path.js';
import type { DrillService } from '../core/drills/service.js';
import type { OnCallService } from '../core/oncall/service.js';
import type { SweepRouteDeps } from './sweeps-routes.js';
import type { Registry } from '../core/devices/registry.js';
import type { StateStore } from '../store/stores.js';
import type { SimulatorControlPort } from '../contract/simulator-port.js';
import type { TelemetryStore } from '../store/telemetry-store.js';
import type { TlsMaterial } from '../config/tls-files.js';
import type { ClusterView } from '../cluster/runtime.js';
import type { HolderPort } from './holder-forward.js';
import type { PeersPort } from './peer-views.js';
import type { BroadcastChange } from '../core/broadcast/types.js';

/** What the HTTP routes may use: the running gateway's parts, never its wiring. */
export interface HttpDeps {
  config: GatewayConfig;
  log: Logger;
  clock: Clock;
  registry: Registry;
  health: HealthTracker;
  alarms: AlarmService;
  store: StateStore;
  telemetry?: TelemetryStore;
  bus: EventBus;
  counters: Counters;
  broker: Broker;
  adapters: ReadonlyMap<string, Adapter>;
  linkTests: LinkTestMonitor;
  /** Every device's latest readings (`state` on /api/devices). */
  readings: DeviceReadings;
  /** Every device and link that reports time (GET /api/clock-drift). */
  clockDrift: ClockDriftBook;
  /** The alarm path's marks of recent presses (GET /api/diagnostics/press-path, GET /metrics). */
  pressPath?: PressPathRecorder;
  broadcasts?: BroadcastService;
  sweeps?: SweepRouteDeps;
  drills?: DrillService;
  oncall?: OnCallService;
  operators: OperatorService;
  /** The simulated district's control (main.ts --simulate): /api/simulators exists only with it. */
  simulators?: SimulatorControlPort;
  /** Entries waiting in each far-end link's durable outbox (GET /metrics). */
  outboxDepth?: () => Promise<Record<string, number>>;
  /** Cluster mode: the nodes and the lease as the database has them (GET /api/cluster). */
  cluster?: { view(): Promise<ClusterView> };
  /** Cluster mode with Redis: broadcast changes made on other nodes (for /api/live). */
  remoteBroadcasts?: (listener: (change: BroadcastChange) => void) => () => void;
  /** Cluster mode: where requests needing the singleton duties go on a node that does not hold them. */
  holder?: HolderPort;
  /** Cluster mode: the other nodes, asked for what only they measured (GET /api/clock-drift). */
  peers?: PeersPort;
  /** The session token key when it is not configured nor in the data dir (cluster mode: shared by every node). */
  tokenKey?: string;
  startedAt: number;
  /** http.tls's certificate and key, read and checked (serves HTTPS when present). */
  tls?: TlsMaterial;
  /** Directory of the built dashboard (index.html), if built. */
  dashboardDir?: string;
}
