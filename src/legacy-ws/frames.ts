// The seed's JSON messages (SPEC §5), snake_case, field for field, plus an additive `id`.
import type { LogEvent } from '../logs/event.js';

export function logFrame(e: LogEvent, connectionCount: number, now = new Date()): string {
  const common = { vehicle_id: e.vehicleId };
  const tail = { timestamp: e.timestamp, broadcast_time: now.toISOString(), connection_count: connectionCount, id: e.id };
  switch (e.type) {
    case 'raw_log':
      return JSON.stringify({ type: 'raw_log', ...common, data: e.message, ...tail });
    case 'sensor_log':
      return JSON.stringify({ type: 'sensor_log', ...common, sensor_id: e.sensorId, data: e.data, ...tail });
    case 'vehicle_log':
      return JSON.stringify({ type: 'vehicle_log', ...common, data: e.data, ...tail });
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

export const invalidJsonFrame = JSON.stringify({ type: 'error', message: 'Invalid JSON format' });
