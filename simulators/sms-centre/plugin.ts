/** The simulated SMS centre (SMPP) as a far end, where the sms-smpp adapter's configuration points (sms-centre). */
import { FAR_END_IDS } from '../../gateway/contract/simulator-port.js';
import { farEndView, type SimControls, type SimulatorPlugin } from '../plugin.js';
import { SmsCentreSimulator } from './sms-centre-simulator.js';

const ADAPTER = 'sms-smpp';

/** The control's view of a running SMS centre (also for the fixed far ends of tests and scenarios). */
export function smsCentreControls(sim: SmsCentreSimulator): SimControls {
  return {
    farEnds: () => [
      [
        FAR_END_IDS.sms,
        {
          view: () =>
            farEndView(FAR_END_IDS.sms, '短信中心 (SMPP)', 'sms', 'sms-centre', !sim.listening, {
              sms: { listening: sim.listening, bound: sim.boundSessions(), messages: sim.messages().length },
            }),
          act: (req) => (req.action === 'down' ? sim.goDown() : sim.comeUp()),
        },
      ],
    ],
  };
}

export const smsCentreSimulator: SimulatorPlugin = {
  adapter: ADAPTER,
  async start(config, ctx) {
    const cfg = config.adapters[ADAPTER] as { host?: string; port?: number; systemId?: string; password?: string } | undefined;
    if (!cfg?.host || cfg.port === undefined || !ctx.wanted(cfg.host)) return undefined;
    const sim = new SmsCentreSimulator({ log: ctx.log.child({ sim: 'smsc' }) });
    const started = await sim.start({ host: ctx.bindHost ?? cfg.host, port: cfg.port, systemId: cfg.systemId ?? 'campusgw', password: cfg.password ?? '', receiptDelayMs: 1500 });
    ctx.bound(ADAPTER, [], cfg.host, cfg.port, started.port);
    ctx.log.info({ port: started.port }, 'SMS centre (SMPP) simulator listening');
    return { adapter: ADAPTER, ...smsCentreControls(sim), stop: () => sim.stop() };
  },
};
