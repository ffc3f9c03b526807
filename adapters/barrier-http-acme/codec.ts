/**
 * The GateKeeper status document (GateKeeper API §3.1, GET /api/v1/barriers/{unit}) as an
 * observation in the gateway's vocabulary, and commands as GateKeeper actions (§3.2). Pure.
 *
 *   { "state": "UP" | "DOWN" | "MOVING" | "ERROR", "hits": 12, "alarms": ["MOTOR"], "manual": false }
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { BarrierCommand, BarrierPosition } from '../../gateway/contract/vocabulary.js';
import type { BarrierObservation } from '../shared/barrier-tracker.js';

export const StatusSchema = Type.Object({
  state: Type.Union([Type.Literal('UP'), Type.Literal('DOWN'), Type.Literal('MOVING'), Type.Literal('ERROR')]),
  hits: Type.Integer({ minimum: 0, maximum: 65535 }),
  alarms: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32 }),
  manual: Type.Boolean(),
});
export type GateKeeperStatus = Static<typeof StatusSchema>;

const check = TypeCompiler.Compile(StatusSchema);

const POSITION: Record<GateKeeperStatus['state'], BarrierPosition> = { UP: 'raised', DOWN: 'lowered', MOVING: 'moving', ERROR: 'fault' };

/** GateKeeper alarm names as the gateway's fault names (lower case, one word). */
const faultName = (alarm: string) => alarm.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** The observation of a status document, or why it is unreadable. */
export function decodeStatus(body: unknown): { ok: true; observation: BarrierObservation } | { ok: false; detail: string } {
  if (!check.Check(body)) {
    const first = check.Errors(body).First();
    return { ok: false, detail: first ? `${first.path || '/'}: ${first.message}` : 'not a status document' };
  }
  return {
    ok: true,
    observation: { position: POSITION[body.state], faults: body.alarms.map(faultName), impactCount: body.hits, manualOverride: body.manual, positionData: { raw: body.state } },
  };
}

/** The GateKeeper action of a command (§3.2). */
export const ACTION_OF: Record<BarrierCommand, 'UP' | 'DOWN'> = { raise: 'UP', lower: 'DOWN' };
