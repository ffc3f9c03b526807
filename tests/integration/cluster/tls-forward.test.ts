/**
 * Cluster nodes serving HTTPS (`http.tls`): a node forwards requests needing the singleton
 * duties to the holder's `https://` address, and gathers the other nodes' clocks over HTTPS,
 * trusting their certificates through Node's trust store (NODE_EXTRA_CA_CERTS: the CA that
 * signed them). A node started without that trust answers 503 GW_ERR_HOLDER_UNAVAILABLE naming
 * the certificate problem, and names the nodes whose clocks it could not get. Three gateway
 * node processes (gateway/main.ts, as `npm run cluster` starts them) on a real PostgreSQL,
 * certificates from a throw-away CA made with openssl.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeLayers } from '../../../gateway/config/load.js';
import { nodeEnv, startGatewayNode, type GatewayNode } from '../../../scripts/lib/gateway-node.js';
import { startEphemeralFarEnds, type EphemeralFarEnds } from '../../../simulators/ephemeral-far-ends.js';
import { outagePort } from '../../../simulators/outage-port.js';
import { httpsRequest, makeTestPki, type TestPki } from '../../helpers/certificates.js';
import { eventually, tempDir } from '../../helpers/gateway.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('cluster nodes serving HTTPS', () => {
  let pki: TestPki;
  let rootCa: Buffer;
  let server: TestPostgres;
  let farEnds: EphemeralFarEnds;
  let dir: string;
  const nodes = new Map<string, GatewayNode>();

  /** A node process; `trustCa`: whether NODE_EXTRA_CA_CERTS names the CA that signed the nodes' certificates. */
  const startNode = async (id: string, databaseUrl: string, tls: { certFile: string; keyFile: string; caFile: string }, trustCa: boolean): Promise<GatewayNode> => {
    const site = join(dir, `${id}.json`);
    writeFileSync(site, JSON.stringify(mergeLayers(farEnds.overrides, { http: { tls }, cluster: { takeoverSeconds: 6, forwardTimeoutSeconds: 5 }, adapters: { 'panel-dc09': { host: '127.0.0.1', port: 0 } } })));
    const node = await startGatewayNode({
      id,
      root: ROOT,
      logFile: join(dir, `${id}.log`),
      readyTimeoutMs: 180_000,
      env: {
        ...nodeEnv({ id, site, dataDir: join(dir, id), httpPort: await outagePort(), mqttPort: await outagePort(), databaseUrl }),
        // Set or emptied: the test process's own value must not leak into the node.
        NODE_EXTRA_CA_CERTS: trustCa ? pki.root : '',
      },
    });
    nodes.set(id, node);
    return node;
  };
  const base = (id: string) => `https://127.0.0.1:${nodes.get(id)?.httpPort ?? 0}`;
  const get = async (id: string, path: string, token?: string) => {
    const res = await httpsRequest(`${base(id)}${path}`, { ca: rootCa, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });
    return { ...res, body: JSON.parse(res.text) as Record<string, unknown> };
  };
  const login = async (id: string, username: string) => {
    const res = await httpsRequest(`${base(id)}/api/auth/login`, { ca: rootCa, method: 'POST', body: JSON.stringify({ username, password: `demo-pass-${username}` }) });
    expect(res.status).toBe(200);
    return (JSON.parse(res.text) as { token: string }).token;
  };

  beforeAll(async () => {
    dir = tempDir();
    [pki, server, farEnds] = await Promise.all([makeTestPki(), startTestPostgres(), startEphemeralFarEnds()]);
    rootCa = readFileSync(pki.root);
    const cert = await pki.server('node');
    const tls = { certFile: cert.cert, keyFile: cert.key, caFile: pki.intermediate };
    const url = await server.freshDatabase('tls');
    // The first takes the lease; the others start once it holds it.
    await startNode('tls-a', url, tls, true);
    const admin = await login('tls-a', 'admin');
    await eventually(
      async () => {
        const c = await get('tls-a', '/api/cluster', admin);
        return (c.body.lease as { holder?: string } | undefined)?.holder === 'tls-a' ? true : undefined;
      },
      { timeoutMs: 60_000, everyMs: 250 },
    );
    await Promise.all([startNode('tls-b', url, tls, true), startNode('tls-c', url, tls, false)]);
  }, 300_000);

  afterAll(async () => {
    for (const n of nodes.values()) await n.stop(5000);
    await farEnds?.stop();
    await server?.stop();
    pki?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("forwards a request needing the duties to the holder's https:// address, and gathers every node's clocks over HTTPS", async () => {
    const token = await login('tls-b', 'tech');
    const views = await get('tls-b', '/api/cameras/live-views', token);
    expect(views.status).toBe(200);
    expect(views.headers['x-gateway-node']).toBe('tls-a');
    expect(views.headers['x-gateway-via']).toBe('tls-b');
    const clocks = await get('tls-b', '/api/clock-drift', token);
    expect(clocks.status).toBe(200);
    expect(clocks.body.nodes).toEqual(
      expect.arrayContaining([
        { id: 'tls-b', answered: true },
        { id: 'tls-a', answered: true },
      ]),
    );
  }, 60_000);

  it("a node that does not trust the other nodes' CA answers 503 naming the certificate problem, and names the nodes it could not ask", async () => {
    const token = await login('tls-c', 'tech');
    const views = await get('tls-c', '/api/cameras/live-views', token);
    expect(views.status).toBe(503);
    expect(views.body.code).toBe('GW_ERR_HOLDER_UNAVAILABLE');
    expect(String(views.body.message)).toMatch(/tls-a cannot be reached \(.*certificate/);
    const clocks = await get('tls-c', '/api/clock-drift', token);
    expect(clocks.status).toBe(200);
    const missing = (clocks.body.nodes as { id: string; answered: boolean; error?: string }[]).filter((n) => !n.answered);
    expect(missing.map((n) => n.id).sort()).toEqual(['tls-a', 'tls-b']);
    for (const n of missing) expect(n.error).toMatch(/certificate/);
  }, 60_000);
});
