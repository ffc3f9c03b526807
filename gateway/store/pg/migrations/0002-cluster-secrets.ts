/**
 * Secrets every node of a cluster must share and nobody configured: the operators' session
 * token key when `auth.tokenSecret` is not set (a single gateway keeps it in
 * `<dataDir>/auth-token-key`; nodes have a data dir each, so a login on one node would not be
 * valid on another). The first node to start writes a random one; every node reads it.
 */
export const CLUSTER_SECRETS = `
CREATE TABLE cluster_secrets (
  name text PRIMARY KEY,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
`;
