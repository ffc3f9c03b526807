/**
 * cluster (issue 17): failover time of the 110 link. Two gateway node processes behind HAProxy
 * on PostgreSQL and Redis (tests/helpers/cluster.ts: the real engines from the machine's
 * packages, the 110 centre simulated in this process). Each round: a button of a fresh school
 * is connected to the node that does not hold the lease; the holder is killed with SIGKILL; the
 * button presses at once; the time from the kill to the centre's record of that press (the
 * survivor committed it, took the lease when it expired and sent it) is the failover time.
 * The killed node is started again before the next round, which kills the new holder.
 *
 * The lease's bound (lease.ts): a dead holder's duty moves within 5/6 of takeoverSeconds plus
 * one query; the figure adds starting the duties and connecting the DC-09 link.
 */
import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import { connectAs, eventually } from '../tests/helpers/gateway.js';
import { districtWithSchools, startTestCluster } from '../tests/helpers/cluster.js';
import { BenchError, defineBenchmark } from './lib/harness.js';
import { percentile } from './lib/stats.js';

const options = {
  kills: { default: 10, min: 1, max: 40, description: 'leader kills (rounds)' },
  takeoverSeconds: { default: 10, min: 2, max: 60, description: 'cluster.takeoverSeconds of the nodes' },
};

export const benchmark = defineBenchmark({
  description: 'cluster failover: SIGKILL the 110 link holder N times, kill → first 110 ACK from the new holder (p50, max); 2 nodes, HAProxy, PostgreSQL, Redis',
  options,
  async run(o, ctx) {
    ctx.log('starting PostgreSQL, Redis, HAProxy and 2 gateway nodes…');
    const cluster = await startTestCluster({ nodes: 2, takeoverSeconds: o.takeoverSeconds, siteLayer: districtWithSchools(Math.max(33, o.kills + 2)) });
    ctx.defer(() => cluster.stop());
    const clients: MqttClient[] = [];
    ctx.defer(async () => {
      for (const c of clients) await c.endAsync(true).catch(() => undefined);
    });
    const times: number[] = [];
    const rows: (string | number)[][] = [];
    for (let round_ = 1; round_ <= o.kills; round_++) {
      if (ctx.signal.aborted) break;
      const holder = await eventually(() => cluster.holder(), { timeoutMs: 120_000, everyMs: 200 });
      const survivor = cluster.nodes.find((n) => n.id !== holder);
      if (!survivor) throw new BenchError('BENCH_ERR_CLUSTER', `holder ${String(holder)} is not one of the nodes`);
      const i = round_ + 1;
      const nn = String(i).padStart(2, '0');
      const button = await connectAs(`mqtt://127.0.0.1:${survivor.ports.mqtt}`, `sch-${nn}-btn-1`, { reconnectPeriod: 300 });
      button.on('error', () => undefined);
      clients.push(button);
      const account = `10${nn}`;
      const arrived = cluster.farEnds.primary.waitForMessage((m) => m.account === account && m.data.includes('PA'), 180_000).catch(() =>
        cluster.farEnds.secondary.waitForMessage((m) => m.account === account && m.data.includes('PA'), 1000),
      );
      const killedAt = performance.now();
      const killedWall = Date.now();
      await cluster.kill(holder as string);
      await button.publishAsync(`campus/v1/sch-${nn}/sch-${nn}-btn-1/event`, JSON.stringify({ type: 'press' }), { qos: 1 });
      const pubackMs = performance.now() - killedAt;
      const m = await arrived;
      const failoverMs = m.receivedAt - killedWall;
      times.push(failoverMs);
      rows.push([round_, holder as string, survivor.id, Math.round(pubackMs), failoverMs]);
      ctx.log(`round ${round_}: killed ${String(holder)}, ${survivor.id} delivered after ${failoverMs} ms`);
      await button.endAsync(true).catch(() => undefined);
      // The killed node comes back as the standby for the next round.
      await cluster.restart(holder as string);
    }
    const p50 = Math.round(percentile(times, 50));
    const max = Math.max(...times);
    const boundMs = Math.round((o.takeoverSeconds * 5000) / 6);
    return {
      metrics: { kills: times.length, takeoverSeconds: o.takeoverSeconds, failoverP50Ms: p50, failoverMaxMs: max, leaseBoundMs: boundMs },
      tables: [
        { title: 'rounds', columns: ['round', 'killed', 'survivor', 'press PUBACK after kill ms', 'kill → 110 ACK ms'], rows },
        { title: 'failover', columns: ['kills', 'takeoverSeconds', 'p50 ms', 'max ms', "lease bound (5/6 × takeoverSeconds) ms"], rows: [[times.length, o.takeoverSeconds, p50, max, boundMs]] },
      ],
      targets: [{ name: 'failover ≤ takeoverSeconds', met: max <= o.takeoverSeconds * 1000, detail: `max ${max} ms vs ${o.takeoverSeconds * 1000} ms` }],
      notes: ['the survivor commits the press at once (PUBACK) and sends it when it holds the lease; the centre is the in-process simulator on the same clock'],
    };
  },
});
