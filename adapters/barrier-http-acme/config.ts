/** Configuration of the Acme GateKeeper adapter, and each barrier's options. */
import { Type, type Static } from '@sinclair/typebox';

const Controller = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    /** Sent as `X-Api-Key` (GateKeeper API §2). */
    apiKey: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

export const AcmeConfigSchema = Type.Object(
  {
    /** GateKeeper controllers by name; a barrier names its controller and unit in its options. */
    controllers: Type.Record(Type.String(), Controller, { default: {} }),
    pollIntervalMs: Type.Integer({ minimum: 50, default: 1000 }),
    /** One HTTP request may take this long. */
    timeoutMs: Type.Integer({ minimum: 50, default: 2000 }),
    /** Polls without an answer before a barrier is `unreachable`. */
    failedPollsForUnreachable: Type.Integer({ minimum: 1, default: 3 }),
    /** A command must reach its position within this time. */
    commandTimeoutMs: Type.Integer({ minimum: 100, default: 15000 }),
  },
  { additionalProperties: false },
);
export type AcmeConfig = Static<typeof AcmeConfigSchema>;

export const AcmeDeviceOptionsSchema = Type.Object(
  {
    controller: Type.String({ minLength: 1 }),
    unit: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: true },
);
export type AcmeDeviceOptions = Static<typeof AcmeDeviceOptionsSchema>;
