/**
 * Health sweeps (issue 10): a technician's one-off or scheduled check of a set of devices.
 * Pure data shapes shared by the engine, the store, the reports, the routes and the CLI.
 */
import type { HealthStatus, Scalar } from '../../contract/types.js';
import type { DeviceKind, HealthReasonCode } from '../../contract/vocabulary.js';

/** Which devices a sweep checks. Every given filter must hold (AND); none given = all devices. */
export interface SweepSelection {
  district?: string;
  /** Site (school) ids. */
  sites?: string[];
  kinds?: DeviceKind[];
  /** Explicit device ids. */
  devices?: string[];
}

export interface SweepOptions {
  /** Checks in flight at once. */
  concurrency: number;
  /** Per-check deadline; a check still running then is reported `check-error` "timed out". */
  timeoutMs: number;
  /** Optional per-kind extras (hook names), e.g. `button-self-test`. */
  extras: string[];
}

export interface SweepRequest {
  selection: SweepSelection;
  concurrency?: number;
  timeoutMs?: number;
  extras?: string[];
  /** Free label shown in reports ("早班巡检"). */
  name?: string;
  /** Who started it: `api`, `cli`, `schedule:<name>`. */
  trigger?: string;
}

export type SweepState = 'running' | 'done' | 'cancelled';

export interface SweepReasonEntry {
  code: HealthReasonCode;
  detail?: string;
}

export interface SweepResult {
  deviceId: string;
  siteId: string;
  kind: DeviceKind;
  status: HealthStatus;
  reasons: SweepReasonEntry[];
  /** What the check saw: latencies, firmware, receipts, snapshot thumbnails (data: URLs)… */
  evidence: Record<string, Scalar>;
  /** `active`: the adapter's check() ran; `passive`: judged from the health tracker. */
  method: 'active' | 'passive';
  /** Last message from the device the gateway knows of (ms since epoch). */
  lastSeen?: number;
  startedAt: number;
  durationMs: number;
}

export interface SweepSiteSummary {
  siteId: string;
  total: number;
  ok: number;
  failing: number;
  /** Reason code → devices of this site with it. */
  reasons: Record<string, number>;
}

export interface SweepReasonSummary {
  code: HealthReasonCode;
  devices: number;
  sites: number;
}

export interface SweepSummary {
  total: number;
  done: number;
  ok: number;
  failing: number;
  byStatus: Record<HealthStatus, number>;
  /** The "7 of 33 schools" view: schools in the selection, and those with a failing device. */
  sites: { total: number; failing: number };
  bySite: SweepSiteSummary[];
  byReason: SweepReasonSummary[];
}

/** Names captured when the sweep starts, so a report reads the same after the config changes. */
export interface SweepContext {
  district?: { id: string; name: string; nameEn?: string };
  sites: { id: string; name: string; nameEn?: string }[];
  devices: Record<string, { name: string; adapter: string }>;
}

export interface SweepRecord {
  id: string;
  name?: string;
  trigger: string;
  state: SweepState;
  createdAt: number;
  finishedAt?: number;
  total: number;
  selection: SweepSelection;
  options: SweepOptions;
  summary?: SweepSummary;
  cancelReason?: string;
}

/** One link of the report hash chain. */
export interface ReportLink {
  seq: number;
  sweepId: string;
  sealedAt: number;
  /** SHA-256 of the report's canonical content. */
  contentHash: string;
  prevHash: string;
  /** SHA-256 over (seq, sweepId, sealedAt, contentHash, prevHash). */
  hash: string;
}

export type SweepProgressEvent =
  | { type: 'started'; sweep: SweepRecord }
  | { type: 'result'; sweepId: string; result: SweepResult; done: number; total: number }
  | { type: 'finished'; sweep: SweepRecord; link: ReportLink };

/** How a sweep ends: its state, when, its summary, and why it was cancelled. */
export interface SweepEnd {
  state: Exclude<SweepState, 'running'>;
  finishedAt: number;
  summary: SweepSummary;
  cancelReason?: string;
}

/** Where the engine keeps sweeps (gateway/store/sqlite|pg/sweep-store.ts; anything in tests). */
export interface SweepRecorder {
  create(record: SweepRecord, context: SweepContext): Promise<void>;
  /** Written as each check ends: a crash loses at most the checks in flight. */
  addResult(sweepId: string, result: SweepResult): Promise<void>;
  /**
   * Ends the sweep and seals its report into the hash chain, atomically and one sealer at a
   * time (two nodes sealing at once still make one unbroken chain).
   */
  finish(sweepId: string, end: SweepEnd): Promise<ReportLink>;
  /** Sweeps a previous process left running (crash, restart). */
  running(): Promise<SweepRecord[]>;
  /** In completion order. */
  results(sweepId: string, opts?: { failingOnly?: boolean }): Promise<SweepResult[]>;
  context(sweepId: string): Promise<SweepContext | undefined>;
}

/** The recorder and what the API and reports read (the report itself: gateway/reports/sweep-reports.ts). */
export interface SweepRepository extends SweepRecorder {
  get(id: string): Promise<SweepRecord | undefined>;
  /** Newest first. */
  list(limit?: number): Promise<SweepRecord[]>;
  resultCount(sweepId: string): Promise<number>;
  link(sweepId: string): Promise<ReportLink | undefined>;
  /** Links of the chain after `seq`, in order. */
  linksAfter(seq: number, limit: number): Promise<ReportLink[]>;
}

export const SWEEP_DEFAULTS = { concurrency: 16, timeoutMs: 15_000, maxRunning: 2 } as const;
