/**
 * The scenario file format (YAML): a timeline of actions against the simulated district and
 * the expectations, each with a deadline, the gateway must meet. Structure is checked here
 * (TypeBox); the action strings and device ids are checked by the loader.
 */
import { Type, type Static } from '@sinclair/typebox';

const Seconds = Type.Number({ minimum: 0, maximum: 3600 });
/** Seconds from the scenario start the deadline counts from (default 0). */
const After = Type.Optional(Seconds);

export const StepSchema = Type.Object(
  {
    at: Seconds,
    /** One action: `press sch-01-btn-1`, `fault sch-07-btn-1 sim-suspended on`, `centre primary down`… */
    do: Type.String({ minLength: 1 }),
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const AlarmExpectSchema = Type.Object(
  { type: Type.String({ minLength: 1 }), device: Type.Optional(Type.String()), site: Type.Optional(Type.String()), within: Seconds, after: After },
  { additionalProperties: false },
);

export const ForwardedExpectSchema = Type.Object(
  {
    device: Type.Optional(Type.String()),
    account: Type.Optional(Type.String()),
    receiver: Type.Optional(Type.Union([Type.Literal('primary'), Type.Literal('secondary')])),
    within: Seconds,
    after: After,
  },
  { additionalProperties: false },
);

export const BroadcastExpectSchema = Type.Object(
  {
    group: Type.Optional(Type.String()),
    channel: Type.Optional(Type.String()),
    alarmType: Type.Optional(Type.String()),
    /** The least state a recipient must reach (default delivered; radio reaches sent when transmitted on its talkgroup). */
    state: Type.Optional(Type.Union([Type.Literal('sent'), Type.Literal('delivered'), Type.Literal('confirmed')])),
    within: Seconds,
    after: After,
  },
  { additionalProperties: false },
);

export const ReasonExpectSchema = Type.Object(
  { device: Type.String({ minLength: 1 }), reason: Type.String({ minLength: 1 }), within: Seconds, after: After },
  { additionalProperties: false },
);

export const NoAlarmExpectSchema = Type.Object(
  { type: Type.String({ minLength: 1 }), device: Type.Optional(Type.String()), site: Type.Optional(Type.String()), during: Seconds, after: After },
  { additionalProperties: false },
);

/** A recipient of a broadcast reached `failed` (the duty officer's board shows it, with the reason). */
export const BroadcastFailedExpectSchema = Type.Object(
  {
    group: Type.Optional(Type.String()),
    channel: Type.Optional(Type.String()),
    alarmType: Type.Optional(Type.String()),
    within: Seconds,
    after: After,
  },
  { additionalProperties: false },
);

/**
 * A figure the run measured (report `figures`), judged once the run is over: at most `max`, at
 * least `min`, or at most `factor` × the figure `relativeTo` + `plus` (noise allowance).
 */
export const FigureExpectSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    max: Type.Optional(Type.Number()),
    min: Type.Optional(Type.Number()),
    relativeTo: Type.Optional(Type.String({ minLength: 1 })),
    factor: Type.Optional(Type.Number({ minimum: 0 })),
    plus: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);

/** Exactly one key per entry; the loader enforces "exactly one". */
export const ExpectationSchema = Type.Object(
  {
    alarm: Type.Optional(AlarmExpectSchema),
    'forwarded-to-110': Type.Optional(ForwardedExpectSchema),
    'broadcast-delivered': Type.Optional(BroadcastExpectSchema),
    'device-reason': Type.Optional(ReasonExpectSchema),
    'no-alarm': Type.Optional(NoAlarmExpectSchema),
    'broadcast-failed': Type.Optional(BroadcastFailedExpectSchema),
    figure: Type.Optional(FigureExpectSchema),
  },
  { additionalProperties: false },
);

export const WeekdayClockSchema = Type.Object(
  {
    /** ISO weekday, 1 = Monday … 7 = Sunday. */
    weekday: Type.Integer({ minimum: 1, maximum: 7 }),
    time: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }),
    timeZone: Type.String({ minLength: 1, default: 'Asia/Shanghai' }),
    holidaysOf: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const ScenarioFileSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.String(),
    /**
     * The gateway clock's start: an ISO 8601 time (`2026-11-23T07:38:00+08:00`), or the next
     * `{weekday, time, timeZone}` after now, skipping `holidaysOf` a site. Timers run in real time.
     */
    clock: Type.Optional(
      Type.Union([
        Type.String({ minLength: 1 }),
        WeekdayClockSchema,
      ]),
    ),
    /** Laid over the default district configuration (objects merge key by key, arrays replace). */
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** Sites whose devices are simulated (default: every site). */
    sites: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    /** Heartbeat period of the simulated devices in seconds (default 2). */
    heartbeatSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 600 })),
    /** The runner starts a real InfluxDB (influxd) as the telemetry store; steps `influx down|up` kill and restart it. */
    influx: Type.Optional(Type.Boolean()),
    /**
     * Press → 110 probe: one button press at a time, every `everySeconds`, round-robin over the
     * buttons of `sites` (default: the scenario's schools); each is timed from the press to the
     * receiver's record, then its alarm is resolved. Figures per phase.
     */
    probe: Type.Optional(
      Type.Object(
        {
          everySeconds: Type.Number({ exclusiveMinimum: 0, maximum: 600 }),
          sites: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
          /** A press not at a receiver within this is counted lost (default 30). */
          timeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 600 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Named spans of the timeline the probe's figures are given for (`press110.<name>.p99Ms`…). */
    phases: Type.Optional(
      Type.Array(Type.Object({ name: Type.String({ pattern: '^[a-z][a-z0-9-]*$' }), from: Seconds, to: Seconds }, { additionalProperties: false }), { minItems: 1 }),
    ),
    steps: Type.Array(StepSchema),
    expect: Type.Array(ExpectationSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type ScenarioFile = Static<typeof ScenarioFileSchema>;
export type AlarmExpect = Static<typeof AlarmExpectSchema>;
export type ForwardedExpect = Static<typeof ForwardedExpectSchema>;
export type BroadcastExpect = Static<typeof BroadcastExpectSchema>;
export type ReasonExpect = Static<typeof ReasonExpectSchema>;
export type NoAlarmExpect = Static<typeof NoAlarmExpectSchema>;
export type BroadcastFailedExpect = Static<typeof BroadcastFailedExpectSchema>;
export type FigureExpect = Static<typeof FigureExpectSchema>;
export type Probe = NonNullable<ScenarioFile['probe']>;
export type Phase = NonNullable<ScenarioFile['phases']>[number];

/** A parsed action of a step. */
export type Action =
  | { kind: 'press' | 'test-press' | 'drop' | 'restore' | 'malformed' | 'cover' | 'uncover' | 'freeze' | 'unfreeze'; device: string }
  | { kind: 'fault'; device: string; fault: string; on: boolean }
  | { kind: 'lower' | 'raise' | 'impact'; device: string }
  | { kind: 'centre'; receiver: 'primary' | 'secondary'; up: boolean; blackhole?: true }
  | { kind: 'sms'; up: boolean; refuse?: true }
  | { kind: 'influx'; up: boolean }
  | { kind: 'flood'; device: string; count: number }
  | { kind: 'wait' };

export interface Step {
  at: number;
  /** The action as written, for the report. */
  text: string;
  action: Action;
}

/** One expectation, normalised: `label` is how the report names it. */
export type Expectation =
  | ({ kind: 'alarm'; label: string } & AlarmExpect)
  | ({ kind: 'forwarded-to-110'; label: string } & ForwardedExpect)
  | ({ kind: 'broadcast-delivered'; label: string } & BroadcastExpect)
  | ({ kind: 'device-reason'; label: string } & ReasonExpect)
  | ({ kind: 'no-alarm'; label: string } & NoAlarmExpect)
  | ({ kind: 'broadcast-failed'; label: string } & BroadcastFailedExpect)
  | ({ kind: 'figure'; label: string } & FigureExpect);

export type ExpectationKind = Expectation['kind'];

export interface Scenario {
  name: string;
  description: string;
  /** Gateway clock start: fixed (ms since epoch) or the next weekday/time (resolved when run). */
  clock?: { at: number } | { weekday: number; time: string; timeZone: string; holidaysOf?: string };
  config: Record<string, unknown>;
  sites?: string[];
  heartbeatSeconds: number;
  /** The file sets heartbeatSeconds (a `--url` run cannot honour it). */
  heartbeatSecondsSet?: true;
  influx?: true;
  probe?: Probe;
  phases?: Phase[];
  steps: Step[];
  expect: Expectation[];
  /** Where it was read from (for the report). */
  source?: string;
}
