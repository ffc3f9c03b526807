/**
 * The delivery tracker's durable side (adapters/shared/sms-recipient-store.ts) in this adapter's
 * data dir (ctx.dataDir/smpp-recipients.db): an SMPP receipt for a message submitted before a
 * restart still finds its recipient.
 */
import { SqliteRecipientStore as SharedStore } from '../shared/sms-recipient-store.js';
import type { RecipientStore, StoredRecipient } from './delivery-tracker.js';
import { SMS_ERRORS } from './errors.js';

export const STORE_FILE = 'smpp-recipients.db';

function isStored(v: unknown): v is StoredRecipient {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<StoredRecipient>;
  return (
    typeof r.status === 'object' &&
    r.status !== null &&
    typeof r.status.ref === 'string' &&
    typeof r.status.recipient === 'string' &&
    Array.isArray(r.status.messageIds) &&
    Array.isArray(r.parts) &&
    r.parts.length === r.status.parts &&
    typeof r.touchedAt === 'number'
  );
}

export class SqliteRecipientStore extends SharedStore<StoredRecipient> implements RecipientStore {
  constructor(dataDir: string, onWriteError?: (err: unknown, failures: number) => void) {
    super({ dataDir, file: STORE_FILE, isStored, openError: (message, cause) => SMS_ERRORS.error('GW_ERR_SMS_STORE', message, { cause }), ...(onWriteError ? { onWriteError } : {}) });
  }
}
