import { parseMessage, type PayloadLimits, type ValidLog } from './payload.js';
import type { SpooledMessage } from './spool.js';

/** A message as received, with its verdict: a valid log to store, or a reason to keep it as rejected. */
export type WriteItem = { topic: string; payload: Uint8Array; receivedAt: Date } & (
  | { kind: 'log'; log: ValidLog }
  | { kind: 'rejected'; reason: string }
);

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
