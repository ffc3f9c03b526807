/**
 * Measurement (not a test): one broadcast to N recipients through the real sms-smpp adapter
 * and the simulated SMSC over loopback. Prints time until every recipient is submitted
 * (SMSC accepted: `sent`) and delivered (receipt). Timing targets belong here, never in tests.
 *
 *   npx tsx tests/integration/broadcasts/bench-1000.ts [recipients=1000] [perSecond=50] [burst=100] [window=10]
 */
import type { Tally } from '../../../gateway/core/broadcast/types.js';
import { startHarness } from './harness.js';

const [n = 1000, perSecond = 50, burst = 100, window = 10] = process.argv.slice(2).map(Number);
const h = await startHarness({
  broadcast: { rateLimits: { sms: { perSecond, burst }, radio: { perSecond: 1, burst: 1 } } },
  sms: { window },
});
const marks: Partial<Record<'sent' | 'delivered', number>> = {};
let t0 = 0;
const done = new Promise<void>((resolve) => {
  h.svc.onChange((c) => {
    if (c.change !== 'recipient') return;
    const t: Tally = c.tally;
    if (t.sent === n && marks.sent === undefined) marks.sent = performance.now() - t0;
    if (t.delivered === n && marks.delivered === undefined) {
      marks.delivered = performance.now() - t0;
      resolve();
    }
  });
});
const people = Array.from({ length: n }, (_, i) => ({ name: `P${i}`, phone: `139${String(i).padStart(8, '0')}` }));
t0 = performance.now();
const b = await h.svc.create({ text: '【城东区校园安全】城东区第一中学于11月3日 14:05一键报警。请就近巡逻民警立即赶赴，门卫室关闭校门。收到请回复“1”或“收到”。', recipients: people, channels: ['sms'] });
const created = performance.now() - t0;
await done;
const accepted = new Set(h.sim.messages().map((m) => m.to)).size;
process.stdout.write(
  `${JSON.stringify({ recipients: n, perSecond, burst, window, createMs: Math.round(created), allSubmittedMs: Math.round(marks.sent ?? -1), allDeliveredMs: Math.round(marks.delivered ?? -1), smsSends: h.smsSends.length, uniqueAtSmsc: accepted, messagesAtSmsc: h.sim.messages().length, tally: (await h.svc.get(b.id))?.tally })}\n`,
);
await h.stop();
