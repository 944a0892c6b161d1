// Where each vessel is now: its latest telemetry and ONLINE/OFFLINE status, kept in memory
// from the live stream (so also across instances with Redis), seeded from the database at start.
// Operators ask this constantly; answering from memory means no scan per question.
// Both follow the logs' own time, not their arrival (SPEC §9): a backlog flushed after a link
// outage arrives last but is older, so it neither moves the latest telemetry back nor, being
// late, makes a vessel look ONLINE.
import type { LogEvent } from '../logs/event.js';
import { TELEMETRY_TYPE } from '../logs/kinds.js';
import type { LogHub } from './hub.js';

export type VehicleStatus = 'ONLINE' | 'OFFLINE';

export interface VehicleState {
  vehicleId: number;
  lastSeenAt: Date;
  latestTelemetry: LogEvent | null;
  status: VehicleStatus;
}

export interface StatusChange {
  vehicleId: number;
  status: VehicleStatus;
  lastSeenAt: Date;
}

const CHECK_EVERY_MS = 1_000;

/** By the log's own time; of two logs with the same time, the one stored last. */
const newer = (a: LogEvent, b: LogEvent): boolean =>
  a.timestamp !== b.timestamp ? Date.parse(a.timestamp) > Date.parse(b.timestamp) : BigInt(a.id) > BigInt(b.id);

export class FleetState {
  private readonly vehicles = new Map<number, VehicleState>();
  private readonly listeners = new Set<(c: StatusChange) => void>();
  private readonly unlisten: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    hub: LogHub,
    private readonly offlineAfterMs: number,
    initial: { vehicleId: number; lastSeenAt: Date; latestTelemetry: LogEvent | null }[],
  ) {
    for (const v of initial) this.vehicles.set(v.vehicleId, { ...v, status: this.statusAt(v.lastSeenAt, Date.now()) });
    this.unlisten = hub.listen((e) => this.observe(e));
    this.timer = setInterval(() => this.expire(), CHECK_EVERY_MS).unref();
  }

  get(vehicleId: number): VehicleState | undefined {
    return this.vehicles.get(vehicleId);
  }

  /** Registers a listener for status changes; returns the function that removes it. */
  onChange(listener: (c: StatusChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    clearInterval(this.timer);
    this.unlisten();
  }

  private observe(e: LogEvent): void {
    const seen = new Date(e.receivedAt);
    let v = this.vehicles.get(e.vehicleId);
    if (!v) {
      // First heard of through a backlog: last seen when that log was made, so OFFLINE.
      v = { vehicleId: e.vehicleId, lastSeenAt: e.late ? new Date(e.timestamp) : seen, latestTelemetry: null, status: 'OFFLINE' };
      this.vehicles.set(e.vehicleId, v);
    }
    if (!e.late && seen > v.lastSeenAt) v.lastSeenAt = seen;
    if (e.type === TELEMETRY_TYPE && (!v.latestTelemetry || newer(e, v.latestTelemetry))) v.latestTelemetry = e;
    const status = this.statusAt(v.lastSeenAt, Date.now());
    if (status !== v.status) this.change(v, status);
  }

  private expire(): void {
    const now = Date.now();
    for (const v of this.vehicles.values()) {
      if (v.status === 'ONLINE' && this.statusAt(v.lastSeenAt, now) === 'OFFLINE') this.change(v, 'OFFLINE');
    }
  }

  private change(v: VehicleState, status: VehicleStatus): void {
    v.status = status;
    const c = { vehicleId: v.vehicleId, status, lastSeenAt: v.lastSeenAt };
    for (const l of this.listeners) l(c);
  }

  private statusAt(lastSeenAt: Date, now: number): VehicleStatus {
    return now - lastSeenAt.getTime() <= this.offlineAfterMs ? 'ONLINE' : 'OFFLINE';
  }
}
