// AlertEvent: one stored change of an alert episode, as every consumer sees it (GraphQL, the
// legacy socket, Redis). Plain and JSON-safe, like LogEvent, so it crosses any event target.
import type { Severity } from './rules.js';

export type AlertState = 'FIRING' | 'RESOLVED';

export interface AlertEvent {
  /** The episode's id (decimal string): one per (rule, vehicle) from FIRING to RESOLVED. */
  id: string;
  vehicleId: number;
  rule: string;
  severity: Severity;
  /** FIRING until resolvedAt is set. */
  state: AlertState;
  /** ISO-8601 UTC with milliseconds. */
  startedAt: string;
  resolvedAt: string | null;
  /** The value that made it fire (threshold), the seconds without a message (offline), else null. */
  value: number | null;
  message: string;
}

/** The time of the change an event reports: when it fired, or when it resolved. */
export const changedAt = (e: AlertEvent): string => e.resolvedAt ?? e.startedAt;
