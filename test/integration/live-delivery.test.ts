// Live delivery on real networks (SPEC §9, issue 14), over real sockets on every surface
// (graphql-ws, SSE, the legacy socket): a reader that stops reading is conflated, not dropped —
// when it reads again it gets the newest state of every vessel and sensor, every raw line in
// order, and each log it was sent in place of older ones says how many (`skipped`), so nothing
// is lost without a count; with CLOSE / on_lag=close it is ended as before; maxRate delivers at
// most that rate per key, the newest last. The lag bounds are small settings here so that a
// few megabytes make a reader lag.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { backends } from '../utils/backends.js';
import { disposeLeftovers } from '../utils/leftovers.js';
import { startService, type TestService } from '../utils/service.js';
import { untilServer } from '../utils/wait.js';
import { graphqlWsReader, legacyReader, sseReader, type Delivery, type Reader } from './live-delivery-readers.js';

const LAG = { LIVE_MAX_WAITING_EVENTS: '100', LIVE_MAX_UNSENT_BYTES: String(1024 * 1024) };
const FILLER = 'f'.repeat(60_000); // a large telemetry message: a few hundred fill any socket's buffers
// Loopback's kernel buffers can take 10 MB or more before a paused peer shows as unsent bytes:
// the cap only ends a run that would never lag, so it is generous.
const MAX_PUBLISHED = 3000;

type Surface = { name: string; open: (svc: TestService, onLag?: 'CONFLATE' | 'CLOSE', maxRate?: number, vehicleId?: number) => Promise<Reader> };

const SURFACES: Surface[] = [
  { name: 'graphql-ws', open: (svc, onLag, maxRate, vehicleId) => graphqlWsReader(svc, { onLag, maxRate, vehicleId }) },
  { name: 'SSE', open: (svc, onLag, maxRate, vehicleId) => sseReader(svc, { onLag, maxRate, vehicleId }) },
  {
    name: 'legacy',
    open: (svc, onLag, maxRate, vehicleId) =>
      legacyReader(svc, vehicleId === undefined ? '/api/ws' : `/api/ws/vehicle/${vehicleId}`, { on_lag: onLag?.toLowerCase(), max_rate: maxRate }),
  },
];

const keyOf = (d: { type: string; vehicleId: number; sensorId?: number | null }) => `${d.type}/${d.vehicleId}/${d.sensorId ?? ''}`;

/** A vessel's mix: its telemetry (large), two sensors, and a raw line every fifth message. */
class Burst {
  readonly published = new Map<string, number>(); // key → how many were published
  private i = 0;

  constructor(
    private readonly svc: TestService,
    private readonly vessel: MqttClient,
    readonly vehicleId: number,
  ) {}

  async next(): Promise<void> {
    const i = this.i++;
    const v = this.vehicleId;
    const kind = i % 5;
    if (kind === 0) await this.send('raw_log', `line ${this.count('raw_log', v)}`);
    else if (kind <= 2) await this.send('vehicle_log', { n: this.count('vehicle_log', v), speed: i, filler: FILLER });
    else await this.send('sensor_log', { sensor_id: kind, data: { n: this.count('sensor_log', v, kind), t: i } });
  }

  /** One more of every key: what the reader must end on. */
  async last(): Promise<void> {
    for (let i = 0; i < 5; i++) await this.next();
  }

  private count(type: string, vehicleId: number, sensorId?: number): number {
    const key = keyOf({ type, vehicleId, sensorId });
    const n = (this.published.get(key) ?? 0) + 1;
    this.published.set(key, n);
    return n;
  }

  private send(type: string, payload: string | object) {
    return this.svc.publish(this.vessel, this.vehicleId, type, payload);
  }
}

/** The deliveries of one vessel, grouped by key, after each key's newest has arrived. */
async function readAll(reader: Reader, burst: Burst): Promise<Map<string, Delivery[]>> {
  const mine = (items: Delivery[]) => items.filter((d) => d.vehicleId === burst.vehicleId);
  await reader.logs.until(
    (items) => [...burst.published].every(([key, n]) => mine(items).some((d) => keyOf(d) === key && d.n === n)),
    60_000,
    `the newest log of every key on ${reader.name}`,
  );
  const byKey = new Map<string, Delivery[]>();
  for (const d of mine(reader.logs.items)) byKey.set(keyOf(d), [...(byKey.get(keyOf(d)) ?? []), d]);
  return byKey;
}

describe.each(backends)('live delivery on $name', (backend) => {
  let svc: TestService;
  let vessel: MqttClient;
  let nextVehicle = 40;

  beforeAll(async () => {
    svc = await startService(backend, LAG);
    vessel = await svc.publisher();
  });
  afterAll(disposeLeftovers);

  /** Publishes the burst while the reader is paused, until the server says what `lagged` waits for. */
  async function lagWhilePaused(reader: Reader, burst: Burst, lagged: () => boolean): Promise<void> {
    await burst.next(); // a first log proves the subscription is live before it stops reading
    await reader.logs.until((items) => items.some((d) => d.vehicleId === burst.vehicleId), 15_000, 'the first log');
    reader.pause();
    for (let sent = 0; !lagged(); sent++) {
      if (sent > MAX_PUBLISHED) throw new Error(`${reader.name}: still not lagging after ${MAX_PUBLISHED} messages`);
      await burst.next();
    }
    for (let i = 0; i < 50; i++) await burst.next(); // and more while it lags: these conflate
    await burst.last();
  }

  describe.each(SURFACES)('$name', (surface) => {
    it('a paused reader is conflated, not dropped: it reads on to the newest state of every key, raw lines in order', { timeout: 180_000 }, async () => {
      const before = svc.app.stats();
      const reader = await surface.open(svc);
      const burst = new Burst(svc, vessel, nextVehicle++);
      await lagWhilePaused(reader, burst, () => svc.app.stats().skipped.conflated > before.skipped.conflated);
      reader.resume();
      const byKey = await readAll(reader, burst);

      // Every log published is accounted for: sent, or counted in the `skipped` of a newer one of its key.
      for (const [key, n] of burst.published) {
        const got = byKey.get(key) ?? [];
        expect(got.length + got.reduce((sum, d) => sum + (d.skipped ?? 0), 0), key).toBe(n);
        expect(got[got.length - 1]!.n, `${key}: the newest last`).toBe(n);
        expect(got.map((d) => d.n)).toEqual([...got.map((d) => d.n)].sort((a, b) => a - b));
      }
      const raw = [...byKey].filter(([key]) => key.startsWith('raw_log')).flatMap(([, ds]) => ds);
      expect(raw.map((d) => d.n)).toEqual(raw.map((_, i) => i + 1)); // every line, in order, none skipped
      const skipped = [...byKey.values()].flat().filter((d) => d.skipped !== undefined);
      expect(skipped.length).toBeGreaterThan(0);
      expect(skipped.every((d) => d.skipped! >= 1 && d.type !== 'raw_log')).toBe(true);
      const ids = reader.logs.items.map((d) => BigInt(d.id));
      for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
      expect(reader.errors.items).toEqual([]);

      const s = await untilServer(svc, (x) => x.laggingSubscribers === before.laggingSubscribers, 'the reader caught up');
      expect(s.slowConsumers).toBe(before.slowConsumers);
      console.log(
        `[live-delivery] ${backend.name} ${surface.name}: published ${[...burst.published.values()].reduce((a, b) => a + b, 0)}, ` +
          `delivered ${[...byKey.values()].flat().length}, skipped ${skipped.reduce((a, d) => a + d.skipped!, 0)} ` +
          `(${JSON.stringify(Object.fromEntries([...byKey].map(([k, ds]) => [k, { delivered: ds.length, skipped: ds.reduce((a, d) => a + (d.skipped ?? 0), 0) }])))})`,
      );
      await reader.close();
    });

    it('with CLOSE a paused reader is still ended once it lags', { timeout: 180_000 }, async () => {
      const before = svc.app.stats();
      const reader = await surface.open(svc, 'CLOSE');
      const burst = new Burst(svc, vessel, nextVehicle++);
      await lagWhilePaused(reader, burst, () => svc.app.stats().slowConsumers > before.slowConsumers);
      reader.resume();
      await reader.ended;
      const s = svc.app.stats();
      expect(s.slowConsumers).toBe(before.slowConsumers + 1);
      expect(s.skipped.conflated).toBe(before.skipped.conflated);
      const mine = reader.logs.items.filter((d) => d.vehicleId === burst.vehicleId);
      const published = [...burst.published.values()].reduce((a, b) => a + b, 0);
      expect(mine.length).toBeLessThan(published); // ended before the end of the burst
      expect(mine.every((d) => d.skipped === undefined)).toBe(true);
    });

    it('maxRate delivers at most that many logs a second per key, the newest last', { timeout: 60_000 }, async () => {
      const vehicleId = nextVehicle++;
      const rate = 4; // a window of 250 ms
      const reader = await surface.open(svc, undefined, rate, vehicleId);
      const count = 30;
      const started = performance.now();
      for (let n = 1; n <= count; n++) await svc.publish(vessel, vehicleId, 'vehicle_log', { n, speed: n });
      await reader.logs.until((items) => items.some((d) => d.n === count), 15_000, 'the newest telemetry');
      const elapsed = (performance.now() - started) / 1000;
      const got = reader.logs.items;
      // k deliveries of one key take at least (k - 1) windows from the first.
      expect(got.length).toBeLessThanOrEqual(1 + Math.floor(elapsed * rate));
      expect(got.length).toBeLessThan(count);
      expect(got[got.length - 1]!.n).toBe(count);
      expect(got.length + got.reduce((sum, d) => sum + (d.skipped ?? 0), 0)).toBe(count);
      console.log(`[live-delivery] ${backend.name} ${surface.name} maxRate ${rate}: ${count} published over ${elapsed.toFixed(2)} s, ${got.length} delivered`);
      await reader.close();
    });
  });
});
