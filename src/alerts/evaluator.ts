// The alert state machine, pure: logs and status changes in, FIRING/RESOLVED transitions out.
// Each (rule, vehicle) is FIRING or not. Threshold and geofence rules run on the logs' own
// times, so a flushed backlog is judged as it happened, and a log older than the last one
// judged for that (rule, vehicle) changes nothing (late data never flips a state back).
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import type { LogEvent } from '../logs/event.js';
import { telemetryKey } from '../logs/fields.js';
import { TELEMETRY_TYPE } from '../logs/kinds.js';
import type { AlertRule, GeofenceRule, Severity, ThresholdRule } from './rules.js';

const LATITUDE = telemetryKey('latitude');
const LONGITUDE = telemetryKey('longitude');

export interface Transition {
  change: 'fire' | 'resolve';
  rule: string;
  severity: Severity;
  vehicleId: number;
  at: Date;
  /** fire: the value that made it fire (threshold), the seconds without a message (offline). */
  value: number | null;
  message: string;
}

/** An episode stored as FIRING (resolved_at null), read back at start. */
export interface OpenEpisode {
  rule: string;
  vehicleId: number;
}

/** A vessel's online state, as the fleet state reports it. */
export interface VesselStatus {
  vehicleId: number;
  status: 'ONLINE' | 'OFFLINE';
  lastSeenAt: Date;
}

interface EpisodeState {
  firing: boolean;
  /** Event time (ms) the threshold was first crossed while not firing; forSeconds counts from it. */
  breachSince?: number;
  /** Newest event time (ms) judged. */
  lastAt: number;
}

const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export class AlertEvaluator {
  private readonly states = new Map<string, EpisodeState>();
  private readonly byName: Map<string, AlertRule>;

  constructor(
    readonly rules: readonly AlertRule[],
    open: readonly OpenEpisode[],
  ) {
    this.byName = new Map(rules.map((r) => [r.name, r]));
    for (const o of open) if (this.byName.has(o.rule)) this.state(o.rule, o.vehicleId).firing = true;
  }

  /**
   * At start: open episodes of rules no longer in the file are resolved; offline rules follow
   * the fleet state as it is now (OFFLINE with no open episode fires, ONLINE resolves).
   */
  start(open: readonly OpenEpisode[], fleet: readonly VesselStatus[], now: Date): Transition[] {
    const out: Transition[] = [];
    for (const o of open) {
      if (!this.byName.has(o.rule)) out.push({ change: 'resolve', rule: o.rule, severity: 'info', vehicleId: o.vehicleId, at: now, value: null, message: `rule ${o.rule} is no longer in ALERT_RULES_FILE` });
    }
    for (const v of fleet) out.push(...this.status(v, now));
    return out;
  }

  /** A committed log. */
  observe(e: LogEvent): Transition[] {
    const out: Transition[] = [];
    const at = Date.parse(e.timestamp);
    for (const rule of this.rules) {
      if (rule.kind === 'offline' || !applies(rule, e.vehicleId)) continue;
      const t = rule.kind === 'threshold' ? this.threshold(rule, e, at) : this.geofence(rule, e, at);
      if (t) out.push(t);
    }
    return out;
  }

  /** A vessel went ONLINE or OFFLINE (OFFLINE_AFTER_SECONDS without a message). */
  status(c: VesselStatus, now: Date): Transition[] {
    const out: Transition[] = [];
    for (const rule of this.rules) {
      if (rule.kind !== 'offline' || !applies(rule, c.vehicleId)) continue;
      const s = this.state(rule.name, c.vehicleId);
      const silent = Math.max(0, Math.round((now.getTime() - c.lastSeenAt.getTime()) / 1000));
      const text = `no message for ${silent} s (last seen ${c.lastSeenAt.toISOString()})`;
      const t = this.flip(rule, c.vehicleId, s, c.status === 'OFFLINE', now, silent, text);
      if (t) out.push(t);
    }
    return out;
  }

  private threshold(rule: ThresholdRule, e: LogEvent, at: number): Transition | undefined {
    const matches = rule.sensorId === undefined ? e.type === TELEMETRY_TYPE : e.sensorId === rule.sensorId;
    const value = matches ? finite(e.data?.[rule.key]) : undefined;
    if (value === undefined) return undefined;
    const s = this.state(rule.name, e.vehicleId);
    if (at < s.lastAt) return undefined;
    s.lastAt = at;
    const below = rule.below !== undefined;
    const limit = (below ? rule.below : rule.above)!;
    const crossed = below ? value < limit : value > limit;
    if (!s.firing) {
      if (!crossed) return void (s.breachSince = undefined);
      s.breachSince ??= at;
      if (at - s.breachSince < (rule.forSeconds ?? 0) * 1000) return undefined;
      const held = rule.forSeconds ? ` for ${rule.forSeconds} s` : '';
      return this.flip(rule, e.vehicleId, s, true, new Date(at), value, `${rule.field} ${value} ${below ? 'below' : 'above'} ${limit}${held}`);
    }
    const clear = rule.clearAt ?? limit;
    const recovered = below ? value >= clear : value <= clear;
    return recovered ? this.flip(rule, e.vehicleId, s, false, new Date(at), value, `${rule.field} back to ${value}`) : undefined;
  }

  private geofence(rule: GeofenceRule, e: LogEvent, at: number): Transition | undefined {
    if (e.type !== TELEMETRY_TYPE) return undefined;
    const lat = finite(e.data?.[LATITUDE]);
    const lon = finite(e.data?.[LONGITUDE]);
    if (lat === undefined || lon === undefined) return undefined;
    const s = this.state(rule.name, e.vehicleId);
    if (at < s.lastAt) return undefined;
    s.lastAt = at;
    const inside = booleanPointInPolygon([lon, lat], rule.polygon);
    const text = `${inside ? 'inside' : 'outside'} the geofence at ${lat}, ${lon}`;
    return this.flip(rule, e.vehicleId, s, inside === (rule.alertWhen === 'inside'), new Date(at), null, text);
  }

  /** A transition when `firing` differs from the state's; the state follows it. */
  private flip(rule: AlertRule, vehicleId: number, s: EpisodeState, firing: boolean, at: Date, value: number | null, text: string): Transition | undefined {
    if (s.firing === firing) return undefined;
    s.firing = firing;
    s.breachSince = undefined;
    const message = firing ? rule.message ?? `${rule.name}: ${text}` : `${rule.name}: ${text}`;
    return { change: firing ? 'fire' : 'resolve', rule: rule.name, severity: rule.severity, vehicleId, at, value, message };
  }

  private state(rule: string, vehicleId: number): EpisodeState {
    const key = `${vehicleId}\u0000${rule}`;
    let s = this.states.get(key);
    if (!s) this.states.set(key, (s = { firing: false, lastAt: -Infinity }));
    return s;
  }
}

const applies = (rule: AlertRule, vehicleId: number) => rule.vehicles === undefined || rule.vehicles.includes(vehicleId);
