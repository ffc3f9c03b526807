/**
 * The district's GB/T 28181 NVRs: one simulated NVR per `nvr` device of camera-gb28181 in the
 * configuration, its channels the cameras of the same school with a GB id, its password the one
 * the adapter's configuration gives it. They register to the gateway once it listens (the
 * district simulator starts them, as it starts the DC-09 panels).
 */
import type { Logger } from 'pino';
import { findFfmpeg } from '../../adapters/shared/ffmpeg-binary.js';
import type { GatewayConfig } from '../../gateway/config/schema.js';
import type { Device } from '../../gateway/contract/types.js';
import { GbNvrSimulator } from './nvr-simulator.js';

interface GbConfigView {
  sipId?: string;
  domain?: string;
  host?: string;
  port?: number;
  transports?: string[];
  password?: string;
  passwords?: Record<string, string>;
  keepalive?: { intervalSeconds?: number };
}

export async function startDistrictNvrs(opts: { config: GatewayConfig; devices: readonly Device[]; sites: (id: string) => boolean; log: Logger; port?: number; host?: string }): Promise<Map<string, GbNvrSimulator>> {
  const out = new Map<string, GbNvrSimulator>();
  const cfg = opts.config.adapters['camera-gb28181'] as GbConfigView | null | undefined;
  const port = opts.port ?? cfg?.port;
  if (!cfg || !port) return out;
  const gbId = (d: Device) => (typeof d.options.gbId === 'string' ? d.options.gbId : undefined);
  const mine = opts.devices.filter((d) => d.adapter === 'camera-gb28181' && opts.sites(d.siteId));
  const ffmpegPath = findFfmpeg()?.path;
  for (const nvr of mine.filter((d) => d.kind === 'nvr')) {
    const id = gbId(nvr);
    const password = id ? (cfg.passwords?.[id] ?? cfg.password) : undefined;
    if (!id || !password) continue;
    const sim = new GbNvrSimulator({
      id,
      channels: mine.filter((d) => d.kind === 'camera' && d.siteId === nvr.siteId && gbId(d)).map((d) => ({ id: gbId(d) as string, name: d.name })),
      server: { host: opts.host ?? (!cfg.host || cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host), port, id: cfg.sipId ?? '34020000002000000001', ...(cfg.domain ? { domain: cfg.domain } : {}) },
      password,
      transport: cfg.transports && !cfg.transports.includes('udp') ? 'tcp' : 'udp',
      keepaliveMs: (cfg.keepalive?.intervalSeconds ?? 60) * 1000,
      ...(ffmpegPath ? { ffmpegPath } : {}),
    });
    const status = await sim.start().catch((err: unknown) => {
      opts.log.warn({ nvr: nvr.id, err: (err as Error).message }, 'simulated GB/T 28181 NVR could not register');
      return 0;
    });
    if (status !== 200) opts.log.warn({ nvr: nvr.id, status }, 'simulated GB/T 28181 NVR was not registered');
    out.set(nvr.id, sim);
  }
  return out;
}
