// The seed's JSON messages (SPEC §5), snake_case, field for field, plus an additive `id`. Each
// kind's own fields come from its entry in LOG_KINDS.
import type { LogEvent } from '../logs/event.js';
import { LOG_KINDS } from '../logs/kinds.js';

export function logFrame(e: LogEvent, connectionCount: number, now = new Date()): string {
  return JSON.stringify({
    type: e.type,
    vehicle_id: e.vehicleId,
    ...LOG_KINDS[e.type].frame(e),
    timestamp: e.timestamp,
    broadcast_time: now.toISOString(),
    connection_count: connectionCount,
    id: e.id,
  });
}

export function connectionFrame(connectionCount: number, now = new Date()): string {
  return JSON.stringify({
    type: 'connection',
    message: 'Connected to SEANO real-time data stream',
    timestamp: now.toISOString(),
    connection_count: connectionCount,
  });
}

export const invalidJsonFrame = JSON.stringify({ type: 'error', message: 'Invalid JSON format' });

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
