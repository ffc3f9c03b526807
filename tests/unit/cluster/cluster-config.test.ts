import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { clusterNodeId } from '../../../gateway/cluster/cluster-config.js';
import { loadConfig } from '../../../gateway/config/load.js';
import { GatewayError } from '../../../gateway/contract/errors.js';

describe('cluster configuration', () => {
  it('is absent by default: the embedded single process', () => {
    expect(loadConfig({ env: {} }).config.cluster).toStrictEqual({ takeoverSeconds: 10, mqttHeartbeatSeconds: 5, forwardTimeoutSeconds: 40, viewTimeoutSeconds: 5 });
  });

  it('takes CLUSTER_NODE_ID, DATABASE_URL and REDIS_URL from the environment', () => {
    const { config } = loadConfig({ env: { CLUSTER_NODE_ID: 'node-2', DATABASE_URL: 'postgres://gw@127.0.0.1:5432/gateway', REDIS_URL: 'redis://127.0.0.1:6379' } });
    expect(config.cluster).toStrictEqual({ nodeId: 'node-2', databaseUrl: 'postgres://gw@127.0.0.1:5432/gateway', redisUrl: 'redis://127.0.0.1:6379', takeoverSeconds: 10, mqttHeartbeatSeconds: 5, forwardTimeoutSeconds: 40, viewTimeoutSeconds: 5 });
    expect(clusterNodeId(config.cluster)).toBe('node-2');
  });

  it('names a node after host and pid when no id is given, and refuses a bad id or takeover', () => {
    expect(clusterNodeId({ takeoverSeconds: 10, mqttHeartbeatSeconds: 5, forwardTimeoutSeconds: 40, viewTimeoutSeconds: 5 })).toBe(`${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 50)}-${process.pid}`);
    let err: unknown;
    try {
      loadConfig({ env: { CLUSTER_NODE_ID: 'node 2' }, overrides: { cluster: { takeoverSeconds: 0 } } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).details).toEqual([expect.stringMatching(/^\/cluster\/nodeId: /), expect.stringMatching(/^\/cluster\/takeoverSeconds: /)]);
  });
});
