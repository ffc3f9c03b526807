/**
 * The simulated ISMG (CMPP) as a far end: started when the configuration has `adapters.sms-cmpp`
 * pointing at a loopback address (or whatever the configuration says when simulators run in
 * their own container), with the same SP_Id and shared secret, so the gateway's CMPP link
 * connects to it. The shipped district keeps SMPP and configures no sms-cmpp.
 */
import { readFileSync } from 'node:fs';
import { farEndView, type SimControls, type SimulatorPlugin } from '../plugin.js';
import { CmppIsmgSimulator } from './ismg-simulator.js';

const ADAPTER = 'sms-cmpp';
/** The ISMG's id in the simulator control. */
export const CMPP_FAR_END_ID = 'sms-ismg';

interface CmppEndpoint {
  host?: string;
  port?: number;
  spId?: string;
  sharedSecret?: string;
  sharedSecretFile?: string;
}

/** The control's view of a running ISMG. */
export function cmppIsmgControls(sim: CmppIsmgSimulator): SimControls {
  return {
    farEnds: () => [
      [
        CMPP_FAR_END_ID,
        {
          view: () =>
            farEndView(CMPP_FAR_END_ID, '短信网关 (CMPP)', 'sms', 'sms-ismg', !sim.listening, {
              sms: { listening: sim.listening, bound: sim.connectedSessions(), messages: sim.messages().length },
            }),
          act: (req) => (req.action === 'down' ? sim.goDown() : sim.comeUp()),
        },
      ],
    ],
  };
}

export const cmppIsmgSimulator: SimulatorPlugin = {
  adapter: ADAPTER,
  async start(config, ctx) {
    const ep = config.adapters[ADAPTER] as CmppEndpoint | null | undefined;
    if (!ep?.host || ep.port === undefined || !ep.spId || !ctx.wanted(ep.host)) return undefined;
    const secret = ep.sharedSecret ?? (ep.sharedSecretFile ? readFileSync(ep.sharedSecretFile, 'utf8').replace(/\r?\n$/, '') : '');
    const sim = new CmppIsmgSimulator({ log: ctx.log.child({ sim: 'ismg' }) });
    const started = await sim.start({ host: ctx.bindHost ?? ep.host, port: ep.port, spId: ep.spId, sharedSecret: secret, maxVersion: '3.0', reportDelayMs: 1500 });
    ctx.bound(ADAPTER, [], ep.host, ep.port, started.port);
    ctx.log.info({ port: started.port }, 'CMPP ISMG simulator listening');
    return { adapter: ADAPTER, ...cmppIsmgControls(sim), stop: () => sim.stop() };
  },
};
