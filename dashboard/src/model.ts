/**
 * What the dashboard receives from the gateway's HTTP API and /api/live. Domain types come
 * from the gateway's core (type-only imports: nothing of the gateway is bundled).
 */
import type { Broadcast, BroadcastChange, BroadcastRecipient, BroadcastState, BroadcastSummary, RecipientState, Tally } from '../../gateway/core/broadcast/types.js';
import type { ChannelName } from '../../gateway/contract/capabilities.js';
import type { Drill, DrillAlarmReport } from '../../gateway/core/drills/service.js';
import type { SweepView } from '../../gateway/core/sweeps/schemas.js';
import type { SweepState, SweepResult, SweepSummary } from '../../gateway/core/sweeps/types.js';
import type { ChainVerdict } from '../../gateway/reports/report-chain.js';
import type { Alarm, AlarmEntry, Health, HealthReason, HealthStatus, ProtectionWindow } from '../../gateway/contract/types.js';
import type { Severity } from '../../gateway/contract/alarm-types.js';
import type { OnCallPerson, OnCallRole } from '../../gateway/core/oncall/config.js';
import type { OnCallOverride, OnCallStatus } from '../../gateway/core/oncall/service.js';

export type { Alarm, AlarmEntry, Health, HealthReason, HealthStatus, ProtectionWindow, Severity };
/** GET /api/sweeps and /api/sweeps/:id: the gateway's schema (gateway/core/sweeps/schemas.ts), results only on one sweep. */
export type { Drill, DrillAlarmReport, SweepState, SweepResult, SweepSummary, SweepView, ChainVerdict };
export type { Broadcast, BroadcastChange, BroadcastRecipient, BroadcastState, BroadcastSummary, ChannelName, RecipientState, Tally };

/** A person to call at a site (guard post, safety officer): `radio` is a talkgroup. */
export interface SiteContact {
  name: string;
  /** 'guard-post', 'school-contact', … */
  role: string;
  phone?: string;
  radio?: string;
}

/** GET /api/sites (gateway/http/sites-routes.ts). */
export interface SiteView {
  id: string;
  name: string;
  nameEn?: string;
  /** 'school' or 'police' (a command centre hosting the district's channels); absent from older gateways. */
  kind?: string;
  district: string;
  /** Absent from older gateways. */
  contacts?: SiteContact[];
  location?: { lat: number; lon: number };
  timeZone: string;
  protectionWindows: ProtectionWindow[];
  devices: number;
  worstStatus: string;
  openAlarms: number;
}

/** GET /api/devices (gateway/http/devices-routes.ts). */
export interface DeviceView {
  id: string;
  siteId: string;
  kind: string;
  adapter: string;
  name: string;
  options: Record<string, unknown>;
  health: Health;
  /** Buttons: the last end-to-end test the 110 centre acknowledged. */
  linkTest?: { at: number; latencyMs: number; receiver?: string };
  /** The latest reading of each field with its time (absent from older gateways). */
  state?: Record<string, { value: string | number | boolean; at: number }>;
}

/** GET /api/devices/:id/telemetry (gateway/http/telemetry-routes.ts): one value per bucket start. */
export interface TelemetrySeries {
  deviceId: string;
  field: string;
  from: number;
  to: number;
  everyMs: number;
  points: { at: number; value: number | null }[];
}

/** GET /api/sites/:id/availability: uptime fractions (0–1), the school's mean and per device. */
export interface SiteAvailability {
  siteId: string;
  from: number;
  to: number;
  uptime: number;
  devices: Record<string, number>;
}

/** GET /api/health (gateway/http/health-routes.ts), the part the dashboard reads. */
export interface GatewayHealth {
  status: 'ok';
  district: string;
  openAlarms: number;
}

/** GET /api/config/ui (gateway/http/sites-routes.ts): names and per-alarm-type instructions. */
export interface UiConfig {
  district: { id: string; name: string; nameEn?: string };
  /** Alarm type → "中文 / English" text; types the district did not configure are absent. */
  instructions: Record<string, string>;
}

/**
 * POST /api/broadcasts (gateway/http/broadcasts-routes.ts), the part the composer sends. The
 * sender is the logged-in operator: the gateway refuses a `by` in the body.
 */
export interface BroadcastInput {
  text: string;
  groups: string[];
  channels: ChannelName[];
  siteId?: string;
  alarmId?: string;
}

/**
 * GET /api/live messages (gateway/http/live-routes.ts). A broadcast message is the service's
 * BroadcastChange with `type` and `seq` added; `ping` comes every 15 s so that a silent
 * socket can be told from a quiet district.
 */
export type LiveMessage =
  | { type: 'snapshot'; seq: number; alarms: Alarm[]; health: Health[]; broadcasts?: BroadcastSummary[]; at: number }
  | { type: 'alarm'; seq: number; change: string; alarm: Alarm }
  | { type: 'health'; seq: number; health: Health }
  | ({ type: 'broadcast'; seq: number } & BroadcastChange)
  | { type: 'ping'; seq: number; at: number };

/** POST /api/sweeps, the part the sweeps page sends. */
export interface SweepInput {
  sites?: string[];
  kinds?: string[];
  extras?: string[];
}

export const SEVERITY_RANK: Readonly<Record<string, number>> = { critical: 0, major: 1, minor: 2, warning: 3 };
export const STATUS_RANK: Readonly<Record<string, number>> = { offline: 0, degraded: 1, unknown: 2, ok: 3 };

export const isOpen = (a: Alarm): boolean => a.state !== 'resolved';
/** Flashes and sounds until someone acknowledges it. */
export const isUnackedCritical = (a: Alarm): boolean => a.state === 'active' && a.severity === 'critical' && !a.drill;
/** A drill's unacknowledged critical alarm: marked and listed, never flashing red or sounding the siren. */
export const isUnackedDrill = (a: Alarm): boolean => a.state === 'active' && a.drill;

/** GET /api/clock-drift (gateway/http/devices-routes.ts). */
export interface ClockDriftView {
  limitSeconds: number;
  clocks: { deviceId: string; siteId: string; kind: string; name: string; source: string; driftSeconds: number; measuredAt: number; over: boolean; node?: string }[];
  /** Cluster mode: the nodes whose measurements are in `clocks` (answered: false, missing). */
  nodes?: { id: string; answered: boolean; error?: string }[];
}

/** GET /api/oncall: the gateway's own types (gateway/core/oncall), as the JSON carries them. */
export type OnCallRoleId = OnCallRole;
export type OnCallPersonView = OnCallPerson;
export type OnCallOverrideView = OnCallOverride;
export type OnCallStatusView = OnCallStatus;

/** GET /api/cluster: the gateway nodes (cluster mode) and the holder of the 110 link. */
export interface ClusterView {
  mode: 'single' | 'cluster';
  self: string;
  lease: { name: string; holder?: string; until?: number; token?: number; live: boolean };
  nodes: { id: string; pid: number; httpUrl?: string; roles: string[]; lease: { holder: boolean }; lastSeen: number; down: boolean; clients: number }[];
}
