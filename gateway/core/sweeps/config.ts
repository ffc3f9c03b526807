/**
 * Configuration of health sweeps, embedded as `sweeps` in gateway/config/schema.ts.
 * Defaults: 16 checks at once, 15 s per check, two sweeps at once, no schedules.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Cron } from 'croner';
import { SweepSelectionSchema, SweepTuningSchema } from './schemas.js';
import { SWEEP_DEFAULTS } from './types.js';

export const DEFAULT_SWEEP_TIME_ZONE = 'Asia/Shanghai';

export const SweepScheduleSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'lower-case id, shown as trigger schedule:<name>' }),
    /** 5 fields (minute…weekday) or 6 with seconds first, as croner reads them; e.g. `30 7 * * 1-5`. */
    cron: Type.String({ minLength: 9, maxLength: 128 }),
    timezone: Type.String({ default: DEFAULT_SWEEP_TIME_ZONE }),
    selection: Type.Optional(SweepSelectionSchema),
    ...SweepTuningSchema,
    enabled: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

export const SweepsConfigSchema = Type.Object(
  {
    concurrency: Type.Integer({ minimum: 1, maximum: 256, default: SWEEP_DEFAULTS.concurrency }),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: SWEEP_DEFAULTS.timeoutMs }),
    maxRunning: Type.Integer({ minimum: 1, maximum: 16, default: SWEEP_DEFAULTS.maxRunning }),
    /**
     * Per device kind: its own pool within a sweep's concurrency and its own per-check timeout,
     * counted from when the check starts. Cameras by default: 4 at once (each check runs ffmpeg;
     * camera-onvif's own concurrency), 30 s each (longer than camera-onvif's 20 s checkTimeoutMs,
     * so the camera's own deadline names the stage that hung).
     */
    kinds: Type.Record(
      Type.String(),
      Type.Object(
        { concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })), timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })) },
        { additionalProperties: false },
      ),
      { default: { camera: { concurrency: 4, timeoutMs: 30_000 } } },
    ),
    schedules: Type.Array(SweepScheduleSchema, { default: [] }),
  },
  { additionalProperties: false, default: {} },
);

export type SweepSchedule = Static<typeof SweepScheduleSchema>;
export type SweepsConfig = Static<typeof SweepsConfigSchema>;

/**
 * What a JSON schema cannot see: cron syntax, time zone names, duplicate names. Errors are
 * `path: message` under `/sweeps/schedules/<i>`, like the rest of the configuration's.
 */
export function sweepScheduleErrors(schedules: readonly Pick<SweepSchedule, 'name' | 'cron' | 'timezone'>[]): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  schedules.forEach((s, i) => {
    const at = `/sweeps/schedules/${i}`;
    if (seen.has(s.name)) errors.push(`${at}/name: duplicate schedule name '${s.name}'`);
    seen.add(s.name);
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: s.timezone });
    } catch {
      errors.push(`${at}/timezone: unknown time zone '${s.timezone}'`);
      return;
    }
    try {
      // Paused: parses and computes, schedules nothing.
      new Cron(s.cron, { paused: true, timezone: s.timezone }).stop();
    } catch (err) {
      errors.push(`${at}/cron: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  return errors;
}
