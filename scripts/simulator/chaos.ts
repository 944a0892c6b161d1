// Deliberately broken messages (--chaos), so the service's validation and error counters get
// exercised with the kinds of garbage real boats and half-finished firmware actually send.
// Pure like vessel.ts: the vessel, the time and the randomness are arguments.
import { telemetry, sensorPackage, type Rng, type SimMessage, type Vessel } from './vessel.js';

export const CHAOS_KINDS = ['bad_json', 'latitude_out_of_range', 'wrong_type', 'bad_vehicle_id', 'oversized'] as const;
export type ChaosKind = (typeof CHAOS_KINDS)[number];

/** Share of messages replaced by a malformed one when --chaos is on. */
export const CHAOS_RATE = 0.05;
/** The service's default MQTT_MAX_PAYLOAD is 256 KiB; this is comfortably over it. */
export const OVERSIZED_BYTES = 300 * 1024;

/** Picks a kind; oversized is rare (~2% of chaos) because each one is 300 KiB on the wire. */
export function pickChaosKind(rng: Rng): ChaosKind {
  const r = rng();
  if (r < 0.02) return 'oversized';
  const common = CHAOS_KINDS.filter((k) => k !== 'oversized');
  return common[Math.floor(((r - 0.02) / 0.98) * common.length)] ?? 'bad_json';
}

/** Builds one malformed message of the given kind from the vessel's current state. */
export function chaosMessage(kind: ChaosKind, v: Vessel, now: Date, rng: Rng): SimMessage {
  const vehicleId = String(v.id);
  const malformed = kind;
  if (kind === 'bad_json') {
    // Truncated mid-object, the classic result of a serial buffer cut short.
    const sensor = rng() < 0.5;
    const text = JSON.stringify(sensor ? sensorPackage(v, now, rng) : telemetry(v, now, rng));
    const cut = text.slice(0, Math.max(1, Math.floor(text.length * (0.3 + 0.6 * rng()))));
    return { vehicleId, type: sensor ? 'sensor_log' : 'vehicle_log', payload: cut, malformed };
  }
  // Every other kind starts from a good vehicle_log body (which takes the vessel's next vehicle_log seq: lost, as a rejected message is).
  const body = telemetry(v, now, rng);
  switch (kind) {
    case 'latitude_out_of_range':
      // A sign or scaling slip (degrees × 1e7 as some autopilots send) puts it beyond ±90.
      return { vehicleId, type: 'vehicle_log', payload: JSON.stringify({ ...body, latitude: rng() < 0.5 ? 123.4 : Math.round((body.latitude as number) * 1e7) }), malformed };
    case 'wrong_type': {
      // Values that are right in spirit but wrong in type: strings for numbers and booleans, a fractional rssi.
      const variants: SimMessage[] = [
        { vehicleId, type: 'vehicle_log', payload: JSON.stringify({ ...body, rssi: `${String(body.rssi)}dBm` }) },
        { vehicleId, type: 'vehicle_log', payload: JSON.stringify({ ...body, armed: String(body.armed) }) },
        { vehicleId, type: 'vehicle_log', payload: JSON.stringify({ ...body, battery_voltage: String(body.battery_voltage) }) },
        { vehicleId, type: 'vehicle_log', payload: JSON.stringify({ ...body, rssi: (body.rssi as number) + 0.5 }) },
        { vehicleId, type: 'sensor_log', payload: JSON.stringify({ sensor_id: '1', data: { temperature: 30.1, timestamp: now.toISOString() } }) },
        { vehicleId, type: 'sensor_log', payload: JSON.stringify({ sensor_id: 2, data: 'depth=1.2;salinity=31.5' }) },
      ];
      return { ...variants[Math.floor(rng() * variants.length)]!, malformed };
    }
    case 'bad_vehicle_id': {
      // A well-formed payload under a topic whose id level is not a positive decimal integer.
      const ids = [`boat-${v.id}`, `${v.id}a`, `0${v.id}`, `-${v.id}`, 'seano', ''];
      return { vehicleId: ids[Math.floor(rng() * ids.length)]!, type: 'vehicle_log', payload: JSON.stringify(body), malformed };
    }
    case 'oversized':
      // Valid JSON, only too big: a firmware dumping its whole log buffer into one message.
      return { vehicleId, type: 'vehicle_log', payload: JSON.stringify({ ...body, dump: 'x'.repeat(OVERSIZED_BYTES) }), malformed };
  }
}

/** With --chaos, replaces about `rate` of the messages with a malformed one; otherwise returns null. */
export function maybeChaos(v: Vessel, now: Date, rng: Rng, rate = CHAOS_RATE): SimMessage | null {
  if (rng() >= rate) return null;
  return chaosMessage(pickChaosKind(rng), v, now, rng);
}
