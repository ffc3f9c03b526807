/**
 * Sealed sweep reports read from any sweep repository (SQLite or PostgreSQL): the report of a
 * finished sweep, and the verification of the whole chain, recomputed from the stored rows.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { SweepRepository } from '../core/sweeps/types.js';
import { verifyLinks, type ChainVerdict, type LinkToVerify } from './report-chain.js';
import { contentHash, reportContent, sealedReport, type SweepReport } from './report-model.js';

type Rows = Pick<SweepRepository, 'get' | 'context' | 'results'>;

/** The content hash of a sweep as its rows say now; undefined when the sweep or its context is gone. */
export async function recomputeContentHash(repo: Rows, sweepId: string): Promise<string | undefined> {
  const [sweep, context, results] = await Promise.all([repo.get(sweepId), repo.context(sweepId), repo.results(sweepId)]);
  if (!sweep || !context) return undefined;
  return contentHash(reportContent(sweep, context, results));
}

/** The sealed report of a finished sweep; undefined while it runs or if unknown. */
export async function sweepReport(repo: Rows & Pick<SweepRepository, 'link'>, sweepId: string): Promise<SweepReport | undefined> {
  const [link, sweep, context, results] = await Promise.all([repo.link(sweepId), repo.get(sweepId), repo.context(sweepId), repo.results(sweepId)]);
  if (!link || !sweep || !context) return undefined;
  return sealedReport(reportContent(sweep, context, results), link);
}

/**
 * Recomputes every link from the rows, in order, and names the first broken one. Yields to
 * the event loop between reports so MQTT keeps flowing during a long verification.
 */
export function verifySweepChain(repo: Rows & Pick<SweepRepository, 'linksAfter'>): Promise<ChainVerdict> {
  const walk = async function* (): AsyncGenerator<LinkToVerify> {
    let after = 0;
    for (;;) {
      const links = await repo.linksAfter(after, 100);
      if (links.length === 0) return;
      for (const link of links) {
        after = link.seq;
        yield { link, recomputedContentHash: await recomputeContentHash(repo, link.sweepId) };
        await yieldToLoop();
      }
    }
  };
  return verifyLinks(walk());
}
