// The legacy socket's additive `alert` frame (SPEC §10), snake_case like the seed's frames:
// `timestamp` is the time of this change (when it fired, or when it resolved).
import { changedAt, type AlertEvent } from '../alerts/event.js';

export function alertFrame(a: AlertEvent): string {
  return JSON.stringify({
    type: 'alert',
    vehicle_id: a.vehicleId,
    id: a.id,
    state: a.state,
    rule: a.rule,
    severity: a.severity,
    message: a.message,
    value: a.value,
    started_at: a.startedAt,
    resolved_at: a.resolvedAt,
    timestamp: changedAt(a),
  });
}
