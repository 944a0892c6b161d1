import { parseMessage, type PayloadLimits } from './payload.js';
import type { SpooledMessage } from './spool.js';
import type { WriteItem } from './writer.js';

/** A message as received → what the writer stores: the valid log, or the rejection with its reason. */
export function toWriteItem(m: SpooledMessage, limits: PayloadLimits): WriteItem {
  const base = { topic: m.topic, payload: m.payload, receivedAt: m.receivedAt };
  try {
    const parsed = parseMessage(m.topic, m.payload, m.receivedAt, limits);
    return parsed.ok ? { ...base, kind: 'log', log: parsed.log } : { ...base, kind: 'rejected', reason: parsed.reason };
  } catch (err) {
    // Validation is meant never to throw; if it does, that message alone is kept as rejected.
    return { ...base, kind: 'rejected', reason: `validation failed: ${(err as Error)?.message ?? String(err)}` };
  }
}
