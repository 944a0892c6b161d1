import { parseMessage, type PayloadLimits } from './payload.js';
import type { SpooledMessage } from './spool.js';
import type { WriteItem } from './writer.js';

/** A message as received → what the writer stores: the valid log, or the rejection with its reason. */
export function toWriteItem(m: SpooledMessage, limits: PayloadLimits): WriteItem {
  const parsed = parseMessage(m.topic, m.payload, m.receivedAt, limits);
  const base = { topic: m.topic, payload: m.payload, receivedAt: m.receivedAt };
  return parsed.ok ? { ...base, kind: 'log', log: parsed.log } : { ...base, kind: 'rejected', reason: parsed.reason };
}
