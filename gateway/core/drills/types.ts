/** Drills (演练) as kept: what the drill service and its repository share. */

export interface DrillAlarmReport {
  alarmId: string;
  type: string;
  deviceId?: string;
  raisedAt: number;
  /** Raised → the 110 centre ACKed the drill's test report. */
  to110AckMs?: number;
  /** Raised → acknowledged on the board. */
  toAcknowledgeMs?: number;
  acknowledgedBy?: string;
  broadcasts: { id: string; total: number; confirmed: { name: string; group: string; at: number; afterMs: number }[] }[];
}

export interface Drill {
  id: string;
  siteId: string;
  startedAt: number;
  endsAt: number;
  startedBy: string;
  state: 'running' | 'ended';
  endedAt?: number;
  endedBy?: string;
  alarmIds: string[];
  report?: { alarms: DrillAlarmReport[] };
}

export interface DrillRepository {
  /** Inserts or replaces the drill (by id). */
  saveDrill(drill: Drill): Promise<void>;
  getDrill(id: string): Promise<Drill | undefined>;
  /** Newest first, at most 200; of one school when `siteId` is given. */
  listDrills(siteId?: string): Promise<Drill[]>;
  runningDrills(): Promise<Drill[]>;
}
