// The seed's JSON messages (SPEC §5), snake_case, field for field, plus an additive `id`, and
// (SPEC §9) `"late": true` on a log timed long before its receipt and `"skipped": n` on one sent
// in place of n older ones of its key. Each kind's own fields come from its entry in LOG_KINDS.
import type { LiveLog } from '../live/conflation.js';
import { LOG_KINDS } from '../logs/kinds.js';

export function logFrame(e: LiveLog, connectionCount: number, now = new Date()): string {
  return JSON.stringify({
    type: e.type,
    vehicle_id: e.vehicleId,
    ...LOG_KINDS[e.type].frame(e),
    timestamp: e.timestamp,
    broadcast_time: now.toISOString(),
    connection_count: connectionCount,
    id: e.id,
    ...(e.late && { late: true }),
    ...(e.skipped && { skipped: e.skipped }),
  });
}

/** The answer to `{"type":"auth"}`: the renewed token's expiry (null: auth is off, it never expires). */
export const authFrame = (expiresAt: Date | null): string => JSON.stringify({ type: 'auth', expires_at: expiresAt?.toISOString() ?? null });

export const errorFrame = (message: string): string => JSON.stringify({ type: 'error', message });

/** The token of a client's `{"type":"auth","token":"…"}` ('' when it has none); undefined for any other text. */
export function authRequest(text: string | undefined): string | undefined {
  try {
    const msg = text === undefined ? undefined : JSON.parse(text);
    if (typeof msg !== 'object' || msg === null || msg.type !== 'auth') return undefined;
    return typeof msg.token === 'string' ? msg.token : '';
  } catch {
    return undefined;
  }
}

export function connectionFrame(connectionCount: number, now = new Date()): string {
  return JSON.stringify({
    type: 'connection',
    message: 'Connected to SEANO real-time data stream',
    timestamp: now.toISOString(),
    connection_count: connectionCount,
  });
}

export const invalidJsonFrame = errorFrame('Invalid JSON format');

/** The answer to a client's text frame: a pong for a ping, an error for what is not a JSON object, else nothing. */
export function answerFrame(text: string | undefined): string | undefined {
  let msg: unknown;
  try {
    msg = text === undefined ? undefined : JSON.parse(text);
  } catch {
    msg = undefined;
  }
  if (msg === undefined || typeof msg !== 'object' || msg === null) return invalidJsonFrame;
  const { type, timestamp } = msg as { type?: unknown; timestamp?: unknown };
  return type === 'ping' ? JSON.stringify({ type: 'pong', timestamp }) : undefined;
}
