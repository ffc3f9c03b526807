/**
 * The far ends a simulated district talks to, started on the loopback addresses the
 * configuration names: the 110 alarm centre's primary and secondary receivers, the SMS centre,
 * the Modbus barrier controllers and the ONVIF camera fleet. A port configured as 0 is taken
 * from the system (ephemeral): `overrides` then points the gateway at the bound ports, so
 * several simulated gateways run side by side (tests, CI) without colliding.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../gateway/config/schema.js';
import { AlarmCentreSimulator } from './alarm-centre/alarm-centre-simulator.js';
import { SmsCentreSimulator } from './sms-centre/sms-centre-simulator.js';
import { BarrierControllerSimulator } from './barrier-modbus/simulator.js';
import { FFMPEG_MISSING, findFfmpeg } from '../adapters/camera-onvif/ffmpeg-binary.js';
import { CameraFleetSimulator } from './camera-onvif/fleet.js';
import type { CameraFault } from './camera-onvif/sim-camera.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export interface FarEnds {
  centres: { name: string; sim: AlarmCentreSimulator; port: number; httpPort?: number }[];
  sms?: SmsCentreSimulator;
  /** By controller name (adapters.barrier-modbus.controllers). */
  plcs: { name: string; sim: BarrierControllerSimulator }[];
  fleets: CameraFleetSimulator[];
  /** Configuration layer with the bound ports of every far end started (lay it over the configuration). */
  overrides: Record<string, unknown>;
  /** Some configured port was 0: the gateway must use `overrides`. */
  rebound: boolean;
  stop(): Promise<void>;
}

interface LinkEndpoints {
  primary?: { host: string; port: number };
  secondary?: { host: string; port: number };
}

/**
 * Starts the far ends the configuration points at on loopback; with `bindHost` (a separate
 * simulators container), starts them whatever host is configured and binds there.
 */
export async function startFarEnds(config: GatewayConfig, log: Logger, opts: { bindHost?: string } = {}): Promise<FarEnds> {
  const wanted = (host: string) => opts.bindHost !== undefined || LOOPBACK.has(host);
  let rebound = false;
  const adapters: Record<string, Record<string, unknown>> = {};
  const bound = (adapter: string, path: string[], host: string, configured: number, port: number) => {
    if (configured === 0) rebound = true;
    let node = (adapters[adapter] ??= {});
    for (const key of path) node = (node[key] ??= {}) as Record<string, unknown>;
    Object.assign(node, { host, port });
  };
  const centres: FarEnds['centres'] = [];
  const link = config.adapters['alarm-centre-dc09'] as LinkEndpoints | undefined;
  for (const name of ['primary', 'secondary'] as const) {
    const ep = link?.[name];
    if (!ep || !wanted(ep.host)) continue;
    const sim = new AlarmCentreSimulator({ log: log.child({ sim: `110-${name}` }) });
    // Its query/control API sits 70 ports above the receiver (12110 → 12180); ephemeral with it.
    const started = await sim.start({ host: opts.bindHost ?? ep.host, port: ep.port, httpHost: opts.bindHost ?? '127.0.0.1', httpPort: ep.port === 0 ? 0 : ep.port + 70 });
    centres.push({ name, sim, ...started });
    bound('alarm-centre-dc09', [name], ep.host, ep.port, started.port);
    log.info({ receiver: name, port: started.port, httpPort: started.httpPort }, '110 alarm-centre simulator listening');
  }
  const smsConfig = config.adapters['sms-smpp'] as { host?: string; port?: number; systemId?: string; password?: string } | undefined;
  let sms: SmsCentreSimulator | undefined;
  if (smsConfig?.host && smsConfig.port !== undefined && wanted(smsConfig.host)) {
    sms = new SmsCentreSimulator({ log: log.child({ sim: 'smsc' }) });
    const started = await sms.start({ host: opts.bindHost ?? smsConfig.host, port: smsConfig.port, systemId: smsConfig.systemId ?? 'campusgw', password: smsConfig.password ?? '', receiptDelayMs: 1500 });
    bound('sms-smpp', [], smsConfig.host, smsConfig.port, started.port);
    log.info({ port: started.port }, 'SMS centre (SMPP) simulator listening');
  }
  // Modbus barrier controllers the district's barriers name, with one unit per barrier.
  const barrierCfg = config.adapters['barrier-modbus'] as { controllers?: Record<string, { host: string; port: number }> } | undefined;
  const plcs: FarEnds['plcs'] = [];
  for (const [name, ep] of Object.entries(barrierCfg?.controllers ?? {})) {
    if (!wanted(ep.host)) continue;
    const units = config.sites.flatMap((s) => s.devices).filter((d) => d.adapter === 'barrier-modbus' && d.options?.controller === name).map((d) => Number(d.options?.unitId ?? 1));
    const plc = new BarrierControllerSimulator({ host: opts.bindHost ?? ep.host, port: ep.port, units, travelMs: 3000, initial: 'raised', log: log.child({ sim: name }) });
    const started = await plc.start();
    plcs.push({ name, sim: plc });
    bound('barrier-modbus', ['controllers', name], ep.host, ep.port, started.port);
    log.info({ controller: name, port: started.port, units: units.length }, 'Modbus barrier controller simulator listening');
  }
  // The ONVIF camera fleet behind the district NVR endpoint, with the seeded camera faults.
  const cameraCfg = config.adapters['camera-onvif'] as { endpoints?: Record<string, { host: string; port: number }> } | undefined;
  const fleets: CameraFleetSimulator[] = [];
  for (const [name, ep] of Object.entries(cameraCfg?.endpoints ?? {})) {
    if (!wanted(ep.host)) continue;
    const cams = config.sites.flatMap((s) => s.devices).filter((d) => d.adapter === 'camera-onvif' && d.options?.endpoint === name);
    if (cams.length === 0) continue;
    const first = cams[0]?.options ?? {};
    const fleet = new CameraFleetSimulator({
      cameras: cams.map((d) => ({ id: d.id, name: d.name })),
      host: opts.bindHost ?? ep.host,
      httpPort: ep.port,
      username: String(first.username ?? 'admin'),
      password: String(first.password ?? ''),
      log: log.child({ sim: name }),
    });
    try {
      await fleet.start();
    } catch (err) {
      // Simulated cameras are one optional part of the district: without them the gateway and
      // every other device still run; the cameras show as unreachable, which is the truth.
      await fleet.stop().catch(() => undefined);
      log.warn({ endpoint: name, cameras: cams.length, err: (err as Error).message }, `camera simulators not started (${cams.length} cameras will show unreachable): ${findFfmpeg() ? (err as Error).message : FFMPEG_MISSING}`);
      continue;
    }
    for (const d of cams) {
      for (const fault of config.simulation.faults[d.id] ?? []) await fleet.setFault(d.id, fault as CameraFault).catch(() => undefined);
    }
    fleets.push(fleet);
    bound('camera-onvif', ['endpoints', name], ep.host, ep.port, fleet.httpPort);
    log.info({ endpoint: name, port: fleet.httpPort, cameras: cams.length }, 'ONVIF camera fleet simulator listening');
  }
  return {
    centres,
    ...(sms ? { sms } : {}),
    plcs,
    fleets,
    overrides: { adapters },
    rebound,
    async stop() {
      await Promise.all([...centres.map((c) => c.sim.stop()), sms?.stop(), ...plcs.map((p) => p.sim.stop()), ...fleets.map((f) => f.stop())]);
    },
  };
}
