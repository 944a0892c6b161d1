// bench:history's fleet-awareness reads (SPEC §10), each over HTTP like the rest of the bench, over
// the ranges an operator asks for: Query.fleet(at) at random moments, Query.gaps and
// Query.missions over a random vessel-day (a UTC day), and missions over a random vessel's last
// 30 days (up to its newest log). The caller turns the times into p50/p95.

export interface FleetBenchContext {
  /** One GraphQL request; its wall time in ms and its data. */
  gql(query: string, variables: Record<string, unknown>): Promise<{ ms: number; data: any }>;
  /** A stored log chosen at random: its vessel and time. */
  randomLog(): Promise<{ vehicle_id: number; timestamp: Date }>;
  /** The time of a vessel's newest log. */
  newestLog(vehicleId: number): Promise<Date>;
  runs: number;
  log(line: string): void;
}

/** The times of the counted runs, and the size of each answer. */
export interface Timed {
  ms: number[];
  sizes: number[];
}

const FLEET_QUERY = `query($at: DateTime!) { fleet(at: $at) { vehicleId telemetry { id timestamp latitude longitude batteryVoltage speed mode } } }`;
const GAPS_QUERY = `query($v: Int!, $from: DateTime!, $to: DateTime!) { gaps(vehicleId: $v, from: $from, to: $to) { fromSeq toSeq after before } }`;
const MISSIONS_QUERY = `query($v: Int!, $from: DateTime, $to: DateTime) {
  missions(vehicleId: $v, from: $from, to: $to) { start end distanceMeters durationSeconds maxSpeed batteryUsedVolts }
}`;
const DAY = 86_400_000;
const WARMUP = 2;

export async function benchFleetHistory(c: FleetBenchContext): Promise<Record<'fleetAt' | 'gapsOneDay' | 'missionsOneDay' | 'missions30Days', Timed>> {
  /** `runs` counted runs after WARMUP, each with fresh random arguments. */
  const timed = async (what: string, run: () => Promise<{ ms: number; size: number }>): Promise<Timed> => {
    c.log(`${what}: ${c.runs} runs`);
    const out: Timed = { ms: [], sizes: [] };
    for (let i = 0; i < c.runs + WARMUP; i++) {
      const { ms, size } = await run();
      if (i < WARMUP) continue;
      out.ms.push(ms);
      out.sizes.push(size);
    }
    return out;
  };
  const vesselDay = async () => {
    const r = await c.randomLog();
    const from = new Date(Math.floor(r.timestamp.getTime() / DAY) * DAY);
    return { v: r.vehicle_id, from: from.toISOString(), to: new Date(from.getTime() + DAY).toISOString() };
  };

  const fleetAt = await timed('Query.fleet(at) at random stored moments', async () => {
    const r = await c.randomLog();
    const { ms, data } = await c.gql(FLEET_QUERY, { at: r.timestamp.toISOString() });
    return { ms, size: data.fleet.filter((e: { telemetry: unknown }) => e.telemetry !== null).length };
  });
  const gapsOneDay = await timed('Query.gaps over a vessel-day', async () => {
    const { ms, data } = await c.gql(GAPS_QUERY, await vesselDay());
    return { ms, size: data.gaps.length };
  });
  const missionsOneDay = await timed('Query.missions over a vessel-day', async () => {
    const { ms, data } = await c.gql(MISSIONS_QUERY, await vesselDay());
    return { ms, size: data.missions.length };
  });
  const missions30Days = await timed('Query.missions over a vessel’s last 30 days', async () => {
    const r = await c.randomLog();
    const to = new Date((await c.newestLog(r.vehicle_id)).getTime() + 1);
    const { ms, data } = await c.gql(MISSIONS_QUERY, { v: r.vehicle_id, from: new Date(to.getTime() - 30 * DAY).toISOString(), to: to.toISOString() });
    return { ms, size: data.missions.length };
  });
  return { fleetAt, gapsOneDay, missionsOneDay, missions30Days };
}
