/** The simulated SMS centre (SMPP) as a far end, where the sms-smpp adapter's configuration points (sms-centre). */
import { FAR_END_IDS } from '../../gateway/contract/simulator-port.js';
import { farEndView, type SimControls, type SimulatorPlugin } from '../plugin.js';
import { SmsCentreSimulator } from './sms-centre-simulator.js';

const ADAPTER = 'sms-smpp';
/** Faults the SMS centre takes through the control: `refuse-submits` (every submit_sm refused). */
export const SMS_CENTRE_FAULTS = ['refuse-submits'] as const;
/** SMPP 3.4 §5.1.3: submit_sm failed (transient: a gateway retries it, bounded). */
const ESME_RSUBMITFAIL = 0x45;

/** The control's view of a running SMS centre (also for the fixed far ends of tests and scenarios). */
export function smsCentreControls(sim: SmsCentreSimulator): SimControls {
  return {
    farEnds: () => [
      [
        FAR_END_IDS.sms,
        {
          view: () => {
            const view = farEndView(FAR_END_IDS.sms, '短信中心 (SMPP)', 'sms', 'sms-centre', !sim.listening, {
              sms: { listening: sim.listening, bound: sim.boundSessions(), messages: sim.messages().length },
            });
            // `fault refuse-submits on`: every submit_sm answered ESME_RSUBMITFAIL (bound, but sending nothing).
            return { ...view, actions: [...view.actions, 'fault'], faultKinds: [...SMS_CENTRE_FAULTS], faults: sim.mode().refuseSubmits !== 0 ? ['refuse-submits'] : [] };
          },
          act: async (req) => {
            if (req.action === 'down') return sim.goDown();
            if (req.action === 'fault') return sim.setMode({ refuseSubmits: req.on === false ? 0 : ESME_RSUBMITFAIL });
            // Up: listening again, and accepting submits again.
            sim.setMode({ refuseSubmits: 0 });
            return sim.comeUp();
          },
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
