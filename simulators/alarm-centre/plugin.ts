/**
 * The simulated 110 alarm centre as a far end: its primary and secondary receivers where the
 * alarm-centre-dc09 adapter's configuration points, each one a thing the control can take
 * down and bring up (110-primary, 110-secondary).
 */
import { FAR_END_IDS } from '../../gateway/contract/simulator-port.js';
import { farEndView, type ControlTarget, type RunningSimulator, type SimControls, type SimulatorPlugin } from '../plugin.js';
import { AlarmCentreSimulator } from './alarm-centre-simulator.js';

const ADAPTER = 'alarm-centre-dc09';
const NAMES = { primary: '110 接警中心 主接收机', secondary: '110 接警中心 备用接收机' } as const;
type ReceiverName = keyof typeof NAMES;
/** Faults a receiver takes through the control: `blackhole` (see AlarmCentreSimulator). */
export const RECEIVER_FAULTS = ['blackhole'] as const;

/** The control's view of running receivers (also for the fixed far ends of tests and scenarios). */
export function centreControls(receivers: readonly { name: ReceiverName; sim: AlarmCentreSimulator }[]): SimControls {
  return {
    farEnds: () =>
      receivers.map((r): [string, ControlTarget] => [
        FAR_END_IDS[r.name],
        {
          view: () => {
            const st = r.sim.status();
            const view = farEndView(FAR_END_IDS[r.name], NAMES[r.name], 'alarm-centre', '110-receiver', st.mode === 'down', { receiver: { mode: st.mode, listening: st.listening, accepted: st.counts.accepted } });
            // `fault blackhole on`: the receiver answers nothing and new connections hang (no SYN-ACK, no RST).
            return { ...view, actions: [...view.actions, 'fault'], faultKinds: [...RECEIVER_FAULTS], faults: st.mode === 'blackhole' ? ['blackhole'] : [] };
          },
          act: (req) => r.sim.setMode(req.action === 'down' ? 'down' : req.action === 'fault' && req.on !== false ? 'blackhole' : 'normal'),
        },
      ]),
  };
}

export const alarmCentreSimulator: SimulatorPlugin = {
  adapter: ADAPTER,
  async start(config, ctx) {
    const link = config.adapters[ADAPTER] as Partial<Record<ReceiverName, { host: string; port: number }>> | undefined;
    const receivers: { name: ReceiverName; sim: AlarmCentreSimulator }[] = [];
    for (const name of ['primary', 'secondary'] as const) {
      const ep = link?.[name];
      if (!ep || !ctx.wanted(ep.host)) continue;
      const sim = new AlarmCentreSimulator({ log: ctx.log.child({ sim: `110-${name}` }) });
      // Its query/control API sits 70 ports above the receiver (12110 → 12180); ephemeral with it.
      const started = await sim.start({ host: ctx.bindHost ?? ep.host, port: ep.port, httpHost: ctx.bindHost ?? '127.0.0.1', httpPort: ep.port === 0 ? 0 : ep.port + 70 });
      receivers.push({ name, sim });
      ctx.bound(ADAPTER, [name], ep.host, ep.port, started.port);
      ctx.log.info({ receiver: name, port: started.port, httpPort: started.httpPort }, '110 alarm-centre simulator listening');
    }
    if (receivers.length === 0) return undefined;
    const running: RunningSimulator = {
      adapter: ADAPTER,
      ...centreControls(receivers),
      stop: async () => void (await Promise.all(receivers.map((r) => r.sim.stop()))),
    };
    return running;
  },
};
