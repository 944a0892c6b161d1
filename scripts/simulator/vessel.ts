// Pure data generation for the simulator: one vessel's state, how it moves, what it publishes.
// No I/O and no clock or Math.random here: time and randomness come in as arguments, so the
// unit tests can drive thousands of steps deterministically.

export type LogType = 'raw_log' | 'sensor_log' | 'vehicle_log';
export type Rng = () => number;

/** One MQTT message; `vehicleId` is a string so chaos can put a bad id in the topic. `malformed` marks chaos. */
export interface SimMessage { vehicleId: string; type: LogType; payload: string; malformed?: string }

type Phase = 'idle' | 'mission' | 'rtl' | 'hold';
interface Point { lat: number; lon: number }

export interface Vessel extends Point {
  id: number;
  heading: number; // degrees, 0 = north, always the direction of travel
  speed: number; // m/s over ground
  current: number; // A drawn from the battery
  usedAh: number; // charge taken from the pack since it was last full
  /** Per topic, as the vessel's computer counts them: +1 on every message of that topic it sends (raw text carries none). */
  seq: { vehicle_log: number; sensor_log: number };
  phase: Phase;
  mode: string;
  armed: boolean;
  phaseLeft: number; // seconds left in idle/hold, or in the mission
  home: Point;
  route: Point[];
  waypoint: number; // index into route
  cruise: number; // this vessel's preferred mission speed, m/s
  pending: string[]; // raw_log lines waiting to be sent
  sent: number; // messages built so far, picks the message mix
  sensorTurn: 1 | 2;
  lowBatteryWarned: boolean;
  weakRssiWarned: boolean;
}

// The Jakarta Bay box every position is kept in, and the base station the radio links to.
export const BAY = { minLat: -6.12, maxLat: -5.95, minLon: 106.7, maxLon: 107.0 } as const;
export const BASE = { lat: -6.105, lon: 106.83 } as const;
// Routes stay north of -6.075: the coastline and reclaimed islands lie just south of it.
const ROUTE_AREA = { minLat: -6.075, maxLat: -5.97, minLon: 106.73, maxLon: 106.97 } as const;
const CAPACITY_AH = 20;
const M_PER_DEG = 111_320;
export const BOOT_LINES = ['Jetson boot complete', 'MAVLink heartbeat OK', 'GPS fix acquired (3D, 12 sats)'];

/** mulberry32: a tiny seeded PRNG, good enough for telemetry noise and reproducible in tests. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const round = (v: number, digits: number) => Number(v.toFixed(digits));

/** Flat-earth metres between two points: fine at bay scale (tens of km). */
function offsetM(a: Point, b: Point): { dx: number; dy: number } {
  return { dx: (b.lon - a.lon) * M_PER_DEG * Math.cos((a.lat * Math.PI) / 180), dy: (b.lat - a.lat) * M_PER_DEG };
}
export const distanceM = (a: Point, b: Point): number => { const { dx, dy } = offsetM(a, b); return Math.hypot(dx, dy); };
const bearingDeg = (a: Point, b: Point): number => { const { dx, dy } = offsetM(a, b); return ((Math.atan2(dx, dy) * 180) / Math.PI + 360) % 360; };

/** Signal strength falls with distance from the base: -30 dBm alongside, ~-85 at 7 km, -95 from 10 km. */
export function rssiAt(p: Point, noise = 0): number {
  const km = distanceM(p, BASE) / 1000;
  const fall = Math.log10(1 + km) / Math.log10(11); // 0 at the base, 1 at 10 km (log: free-space-like)
  return Math.round(clamp(-30 - 65 * fall + noise, -95, -30));
}

/** Lawnmower lanes for even ids, a loop for odd ones, 2-6 km offshore of home in its own direction. */
export function planRoute(id: number, home: Point, rng: Rng): Point[] {
  const km = between(rng, 2, 6);
  const dir = (between(rng, -70, 70) * Math.PI) / 180; // 0 = due north, out into the bay
  const c = { lat: home.lat + (km * 1000 * Math.cos(dir)) / M_PER_DEG, lon: home.lon + (km * 1000 * Math.sin(dir)) / M_PER_DEG };
  const pts: Point[] = [];
  if (id % 2 === 0) {
    const lanes = 4 + Math.floor(rng() * 3);
    for (let i = 0; i < lanes; i++) {
      const lat = c.lat - 0.008 + (0.016 * i) / (lanes - 1);
      const [w, e] = [c.lon - 0.012, c.lon + 0.012];
      pts.push(...(i % 2 === 0 ? [{ lat, lon: w }, { lat, lon: e }] : [{ lat, lon: e }, { lat, lon: w }]));
    }
  } else {
    const r = between(rng, 0.008, 0.015);
    for (let k = 0; k < 6; k++) pts.push({ lat: c.lat + r * Math.cos((k * Math.PI) / 3), lon: c.lon + r * Math.sin((k * Math.PI) / 3) });
  }
  return pts.map((p) => ({ lat: clamp(p.lat, ROUTE_AREA.minLat, ROUTE_AREA.maxLat), lon: clamp(p.lon, ROUTE_AREA.minLon, ROUTE_AREA.maxLon) }));
}

export function createVessel(id: number, rng: Rng): Vessel {
  // Moorings just off Ancol, near the base station, spread so vessels do not start stacked.
  const home = { lat: -6.095 + between(rng, -0.003, 0.003), lon: 106.83 + between(rng, -0.01, 0.01) };
  return {
    id, ...home, heading: between(rng, 0, 360), speed: 0, current: 0.5, usedAh: between(rng, 0, 0.3), seq: { vehicle_log: 0, sensor_log: 0 },
    phase: 'idle', mode: 'HOLD', armed: false, phaseLeft: between(rng, 2, 6), home,
    route: planRoute(id, home, rng), waypoint: 0, cruise: between(rng, 4, 5.5), pending: [...BOOT_LINES],
    sent: 0, sensorTurn: 1, lowBatteryWarned: false, weakRssiWarned: false,
  };
}

/** Resting voltage from charge used: 12.6 V full, 10.5 V empty (roughly linear for a 3S Li-ion pack). */
export const restingVoltage = (v: Vessel): number => 10.5 + 2.1 * clamp(1 - v.usedAh / CAPACITY_AH, 0, 1);
/** What the sensor reads: resting voltage minus the sag under load. */
export const batteryVoltage = (v: Vessel): number => restingVoltage(v) - 0.015 * v.current;

function setPhase(v: Vessel, phase: Phase, mode: string, rng: Rng): void {
  if (v.mode !== mode) v.pending.push(`Mode changed to ${mode}`);
  v.phase = phase;
  v.mode = mode;
  v.phaseLeft = phase === 'mission' ? between(rng, 1800, 3600) : between(rng, 5, 20);
}

/** Advances the mission state machine (arm → AUTO/GUIDED → RTL → HOLD → disarm) and the physics by dt seconds. */
export function stepVessel(v: Vessel, dt: number, rng: Rng): void {
  v.phaseLeft -= dt;
  // Decided on resting voltage: the load sag would otherwise flip the decision every time it arms.
  const lowBattery = restingVoltage(v) < 11.4;
  if (v.phase === 'idle' && v.phaseLeft <= 0 && v.lowBatteryWarned) {
    // Back at the mooring after a low-battery warning: the crew swaps the pack, so long runs keep going.
    v.usedAh = 0;
    v.lowBatteryWarned = false;
    v.pending.push('Battery swapped');
  } else if (v.phase === 'idle' && v.phaseLeft <= 0) {
    v.armed = true;
    v.pending.push('Vehicle armed');
    setPhase(v, 'mission', rng() < 0.7 ? 'AUTO' : 'GUIDED', rng);
  } else if (v.phase === 'mission' && (v.phaseLeft <= 0 || lowBattery)) {
    setPhase(v, 'rtl', 'RTL', rng);
  } else if (v.phase === 'rtl' && distanceM(v, v.home) < 40) {
    setPhase(v, 'hold', 'HOLD', rng);
  } else if (v.phase === 'hold' && v.phaseLeft <= 0) {
    v.armed = false;
    v.pending.push('Vehicle disarmed');
    setPhase(v, 'idle', 'HOLD', rng);
  }

  const target = v.phase === 'mission' ? v.route[v.waypoint] : v.phase === 'rtl' ? v.home : undefined;
  if (target && v.phase === 'mission' && distanceM(v, target) < 30) {
    v.pending.push(`Waypoint ${v.waypoint + 1}/${v.route.length} reached`);
    v.waypoint = (v.waypoint + 1) % v.route.length;
    if (v.waypoint === 0) v.phaseLeft = 0; // route done: come home
  }
  // Speed eases toward its target (boats do not jump), with a little wave-driven wobble scaled
  // by √dt so the jitter per second is the same whatever --rate is.
  const wanted = !target ? 0 : v.phase === 'rtl' ? 5 : v.cruise + Math.sin(v.phaseLeft / 30) * 0.5;
  const wobble = target ? between(rng, -0.15, 0.15) * Math.sqrt(Math.min(dt, 1)) : 0;
  v.speed = clamp(v.speed + clamp(wanted - v.speed, -0.5 * dt, 0.5 * dt) + wobble, 0, 6);
  if (target) {
    // Heading turns toward the target at most 20°/s, and the boat moves along its heading.
    const diff = ((bearingDeg(v, target) - v.heading + 540) % 360) - 180;
    v.heading = (v.heading + clamp(diff, -20 * dt, 20 * dt) + 360) % 360;
  }
  const rad = (v.heading * Math.PI) / 180;
  const metres = v.speed * dt;
  v.lat = clamp(v.lat + (metres * Math.cos(rad)) / M_PER_DEG, BAY.minLat, BAY.maxLat);
  v.lon = clamp(v.lon + (metres * Math.sin(rad)) / (M_PER_DEG * Math.cos((v.lat * Math.PI) / 180)), BAY.minLon, BAY.maxLon);

  // Drag grows with the square of speed; electronics draw ~0.5 A even at rest.
  v.current = 0.5 + 1.2 * v.speed + 0.35 * v.speed * v.speed + between(rng, -0.1, 0.1);
  v.usedAh += (v.current * dt) / 3600;
  if (!v.lowBatteryWarned && batteryVoltage(v) < 11.5) {
    v.lowBatteryWarned = true;
    v.pending.push('WARN battery below 11.5V');
  }
  // Warn once on crossing, and re-arm only after a clear recovery so the line does not flap.
  const rssi = rssiAt(v);
  if (!v.weakRssiWarned && rssi < -85) {
    v.weakRssiWarned = true;
    v.pending.push('WARN rssi weak');
  } else if (v.weakRssiWarned && rssi > -80) v.weakRssiWarned = false;
}

/** The vehicle_log body; consumes a vehicle_log seq number. */
export function telemetry(v: Vessel, now: Date, rng: Rng): Record<string, unknown> {
  return {
    battery_voltage: round(batteryVoltage(v), 2), battery_current: round(v.current, 2), rssi: rssiAt(v, between(rng, -2, 2)),
    mode: v.mode, latitude: round(v.lat, 7), longitude: round(v.lon, 7), heading: round(v.heading, 1),
    armed: v.armed, guided: v.mode === 'GUIDED', system_status: v.armed ? 'ACTIVE' : 'STANDBY', speed: round(v.speed, 2),
    // Extra fields the service keeps as received.
    satellites: 10 + Math.floor(rng() * 5), waypoint: v.phase === 'mission' ? v.waypoint + 1 : null,
    timestamp: now.toISOString(), seq: ++v.seq.vehicle_log,
  };
}

/** Alternates sensor 1 (weather, timestamp inside data as the original simulator did) and 2 (CTD). */
export function sensorPackage(v: Vessel, now: Date, rng: Rng): Record<string, unknown> {
  const id = v.sensorTurn;
  v.sensorTurn = id === 1 ? 2 : 1;
  const seq = ++v.seq.sensor_log;
  if (id === 1) {
    const data = { temperature: round(between(rng, 28.5, 32), 2), humidity: round(between(rng, 68, 86), 1), pressure: round(between(rng, 1007.5, 1012), 1), timestamp: now.toISOString() };
    return { sensor_id: 1, data, seq };
  }
  const salinity = between(rng, 30, 33.5);
  const waterTemp = between(rng, 28.8, 30.8);
  // Seawater conductivity rises with both salinity and temperature (rough linear fit, mS/cm).
  const conductivity = 1.45 * salinity + 0.95 * (waterTemp - 25) + 2;
  const data = { depth: round(between(rng, 0.4, 3.5), 2), salinity: round(salinity, 2), conductivity: round(conductivity, 2), water_temperature: round(waterTemp, 2) };
  return { sensor_id: 2, data, timestamp: now.toISOString(), seq };
}

/** The next message this vessel sends: queued raw lines first, then mostly vehicle_log, every 4th a sensor package. */
export function nextMessage(v: Vessel, now: Date, rng: Rng): SimMessage {
  const vehicleId = String(v.id);
  v.sent++;
  const line = v.pending.shift();
  if (line !== undefined) {
    return { vehicleId, type: 'raw_log', payload: line };
  }
  if (v.sent % 4 === 0) return { vehicleId, type: 'sensor_log', payload: JSON.stringify(sensorPackage(v, now, rng)) };
  return { vehicleId, type: 'vehicle_log', payload: JSON.stringify(telemetry(v, now, rng)) };
}

export function topicOf(prefix: string, m: SimMessage): string {
  return `${prefix}/${m.vehicleId}/${m.type}`;
}
