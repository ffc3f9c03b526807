import { Type, type Static } from '@sinclair/typebox';

const Endpoint = Type.Object(
  { host: Type.String({ minLength: 1 }), port: Type.Integer({ minimum: 1, maximum: 65535 }) },
  { additionalProperties: false },
);

export const LinkConfigSchema = Type.Object(
  {
    /** The link's own device (kind alarm-centre): its health is the link's. */
    device: Type.String({ minLength: 1 }),
    primary: Endpoint,
    secondary: Type.Optional(Endpoint),
    /** Receiver number (hex) the centre assigned to this gateway, sent as `R…`. */
    receiverNumber: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{1,6}$' })),
    /** Account prefix `L…` (DC-09 5.5.1.7). */
    line: Type.String({ pattern: '^[0-9A-Fa-f]{1,6}$', default: '0' }),
    /** AES key in hex (32, 48 or 64 digits) when the centre requires encryption (DC-09 5.4.4). */
    key: Type.Optional(Type.String({ pattern: '^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{48}|[0-9A-Fa-f]{64})$' })),
    protocol: Type.Union([Type.Literal('sia'), Type.Literal('cid')], { default: 'sia' }),
    ackTimeoutMs: Type.Integer({ minimum: 100, default: 3000 }),
    connectTimeoutMs: Type.Integer({ minimum: 100, default: 2000 }),
    /** NULL link test to every receiver this often; 0 disables supervision. */
    supervisionSeconds: Type.Number({ minimum: 0, default: 30 }),
    /** Account used for NULL messages. */
    supervisionAccount: Type.String({ pattern: '^[0-9A-Fa-f]{3,16}$', default: '0000' }),
    clockDriftSeconds: Type.Number({ minimum: 1, default: 20 }),
    /** Alarm types carried to the centre. */
    forward: Type.Array(Type.String(), { default: ['panic', 'barrier-impact'] }),
    backoffMinMs: Type.Integer({ minimum: 10, default: 500 }),
    backoffMaxMs: Type.Integer({ minimum: 100, default: 30000 }),
  },
  { additionalProperties: false },
);

export type LinkConfig = Static<typeof LinkConfigSchema>;
