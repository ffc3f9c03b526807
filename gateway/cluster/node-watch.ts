/**
 * The `node-down` alarm (a singleton duty of the lease holder): every heartbeat period the
 * holder lists the node registry; a node silent for longer than cluster.takeoverSeconds (by the
 * database's clock) gets one open `node-down` alarm at the district's police site (device = the
 * node id); the alarm clears itself when the node heart-beats again. A node that stopped cleanly
 * left the registry: it raises nothing.
 */
import type { Logger } from 'pino';
import { ALARM_TYPE_CATALOGUE } from '../contract/alarm-types.js';
import { errorMessage } from '../contract/errors.js';
import type { Alarm } from '../contract/types.js';
import type { ClusterNode } from './node-registry.js';

export interface NodeWatchDeps {
  self: string;
  list(): Promise<ClusterNode[]>;
  alarms: {
    raise(input: { type: 'node-down'; severity: 'major'; siteId: string; deviceId: string; summary: string; by: string }): Promise<unknown>;
    clear(type: 'node-down', siteId: string, deviceId: string, note: string): Promise<unknown>;
    openAlarms(): Alarm[];
  };
  /** Where the alarm is filed: the police site (the district's command centre). */
  siteId: string;
  everyMs: number;
  log: Logger;
}

export class NodeWatch {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly d: NodeWatchDeps) {}

  async start(): Promise<void> {
    this.stop();
    this.timer = setInterval(() => {
      this.running ??= this.check().finally(() => (this.running = undefined));
    }, this.d.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the registry: raise for the newly silent, clear for those back. */
  async check(): Promise<void> {
    let nodes: ClusterNode[];
    try {
      nodes = await this.d.list();
    } catch (err) {
      this.d.log.warn({ err: errorMessage(err) }, 'node registry could not be read');
      return;
    }
    const open = new Set(this.d.alarms.openAlarms().filter((a) => a.type === 'node-down' && a.siteId === this.d.siteId).map((a) => a.deviceId));
    for (const n of nodes) {
      if (n.id === this.d.self) continue;
      try {
        if (n.down && !open.has(n.id)) {
          this.d.log.warn({ node: n.id, silentMs: n.silentMs }, 'gateway node down');
          await this.d.alarms.raise({
            type: 'node-down',
            severity: ALARM_TYPE_CATALOGUE['node-down'].severity,
            siteId: this.d.siteId,
            deviceId: n.id,
            summary: `网关节点 ${n.id} 离线 / gateway node ${n.id} down (pid ${n.pid}${n.httpUrl ? `, ${n.httpUrl}` : ''})`,
            by: 'system',
          });
        } else if (!n.down && open.has(n.id)) {
          this.d.log.info({ node: n.id }, 'gateway node back');
          await this.d.alarms.clear('node-down', this.d.siteId, n.id, '节点恢复 / node back');
        }
      } catch (err) {
        this.d.log.error({ err: errorMessage(err), node: n.id }, 'node-down alarm could not be committed');
      }
    }
  }
}
