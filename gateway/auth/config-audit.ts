/**
 * Configuration changes are made in files, not through the API, so the gateway audits them
 * where it can see them: at start, a configuration whose digest differs from the one last
 * recorded is written to the audit log as `config.change` (actor `system`, with the files read).
 */
import { createHash } from 'node:crypto';
import type { GatewayConfig } from '../config/schema.js';
import type { AuditLog } from '../core/audit/log.js';

export function configDigest(config: GatewayConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

/** Returns true when a change was recorded. */
export async function auditConfigChange(store: Pick<AuditLog, 'audit' | 'lastAuditOf'>, config: GatewayConfig, sources: string[], at: number): Promise<boolean> {
  const digest = configDigest(config);
  const last = await store.lastAuditOf('config.change');
  const previous = typeof last?.detail.digest === 'string' ? last.detail.digest : undefined;
  if (previous === digest) return false;
  await store.audit({ at, actor: 'system', action: 'config.change', target: 'config', detail: { digest, ...(previous ? { previous } : {}), sources } });
  return true;
}
