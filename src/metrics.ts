// GET /metrics (prom-client): counters read from the same totals stats uses, histograms fed by
// the writer and the socket servers, connection gauges read at scrape time, and Node's defaults
// (event-loop lag...). A message's way is timed hop by hop: receipt → its batch's commit starts
// (queued) → committed (commit) → published (publish) → written to each socket (socket write).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { IngestCounters } from './ingest/counters.js';
import type { StatsSnapshot } from './stats.js';

export function createMetrics(counters: IngestCounters, stats: () => StatsSnapshot): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const outcome = (name: string, help: string, key: string) =>
    new Counter({
      name,
      help,
      labelNames: ['type'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [k, n] of counters.byType) {
          const [o, type] = k.split('\u0000') as [string, string];
          if (o === key) this.inc({ type }, n);
        }
      },
    });
  outcome('seano_messages_received_total', 'MQTT messages received, by log type', 'received');
  outcome('seano_messages_stored_total', 'Logs committed to PostgreSQL, by log type', 'stored');
  outcome('seano_messages_rejected_total', 'Messages kept as rejected, by log type (unknown: bad topic)', 'rejected');
  outcome('seano_messages_duplicate_total', 'Redeliveries recognised and not stored again', 'duplicate');

  const batch = new Histogram({
    name: 'seano_commit_batch_size', help: 'Messages per committed transaction', registers: [registry],
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000],
  });
  const commit = new Histogram({
    name: 'seano_commit_seconds', help: 'Duration of a batch transaction', registers: [registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  });
  const e2e = new Histogram({
    name: 'seano_ingest_to_publish_seconds', help: 'From receipt over MQTT to publication to live clients (after commit)',
    registers: [registry], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  });
  counters.onCommit = (rows, seconds) => (batch.observe(rows), commit.observe(seconds));
  counters.onStored = (age) => e2e.observe(age);
  timeHops(registry, counters);

  const gauge = (name: string, help: string, read: (s: StatsSnapshot) => number | Record<string, number>, labelNames: string[] = []) =>
    new Gauge({
      name, help, labelNames, registers: [registry],
      collect() {
        const v = read(stats());
        this.reset();
        if (typeof v === 'number') this.set(v);
        else for (const [label, n] of Object.entries(v)) this.set({ [labelNames[0]!]: label }, n);
      },
    });
  gauge('seano_ingest_backlog', 'Messages received but not yet committed (memory and spool)', (s) => s.ingestBacklog);
  gauge('seano_connections', 'Open WebSockets by surface', (s) => ({ legacy: s.legacyConnections, graphql: s.graphqlConnections }), ['surface']);
  gauge('seano_subscriptions', 'Active GraphQL subscriptions', (s) => s.activeSubscriptions);
  gauge('seano_slow_consumers_total', 'Sockets closed or subscriptions ended for falling behind', (s) => s.slowConsumers);
  gauge('seano_live_skipped_total', 'Logs not sent because a newer one of their key went instead, by reason (conflated, max_rate)', (s) => s.skipped, ['reason']);
  gauge('seano_lagging_subscribers', 'Subscribers that lag and are being conflated', (s) => s.laggingSubscribers);
  gauge('seano_lagging_held', 'What lagging subscribers\' backlogs hold: events, and about how many bytes', (s) => s.laggingHeld, ['unit']);
  gauge('seano_refusals_total', 'Requests and sockets refused, by reason', (s) => s.refusals, ['reason']);
  return registry;
}

/** The hops of a message's way, fed by the writer (counters) and the socket servers (noteSocketWrite). */
function timeHops(registry: Registry, counters: IngestCounters): void {
  const hop = new HopHistogram('seano_ingest_hop_seconds', 'A stored message in the writer, by hop: receipt → its batch commit starts (queued), the commit, committed → published', 'hop', ['queued', 'commit', 'publish']);
  registry.registerMetric(hop.asMetric());
  counters.onHop = (name, seconds) => hop.observe(name, seconds);
  counters.onPublished = (event) => publishedAt.set(event, performance.now());
  const write = new HopHistogram('seano_socket_write_seconds', "From a log's publication to its frame handed to a subscriber's socket, per delivery, by surface", 'surface', ['legacy', 'graphql_ws']);
  registry.registerMetric(write.asMetric());
  socketWritten = (surface, seconds) => write.observe(surface, seconds);
}

const HOP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/**
 * A histogram with one label of known values, observed once per message or delivery: a bucket
 * search and two additions, where prom-client's Histogram checks and hashes the labels of every
 * observation (3 % of the service's CPU while ingesting). Registered as a prom-client metric
 * (its `get()`), so /metrics shows it as any histogram.
 */
class HopHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly counts = new Map<L, { buckets: Float64Array; sum: number; count: number }>();

  constructor(readonly name: string, readonly help: string, private readonly label: string, values: readonly L[]) {
    for (const v of values) this.counts.set(v, { buckets: new Float64Array(HOP_BUCKETS.length), sum: 0, count: 0 });
  }

  observe(value: L, seconds: number): void {
    const c = this.counts.get(value)!;
    let i = 0;
    while (i < HOP_BUCKETS.length && seconds > HOP_BUCKETS[i]!) i++;
    if (i < HOP_BUCKETS.length) c.buckets[i]!++;
    c.sum += seconds;
    c.count++;
  }

  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const [v, c] of this.counts) {
      if (c.count === 0) continue;
      let cumulative = 0;
      HOP_BUCKETS.forEach((le, i) => values.push({ labels: { le, [this.label]: v }, value: (cumulative += c.buckets[i]!), metricName: `${this.name}_bucket` }));
      values.push({ labels: { le: '+Inf', [this.label]: v }, value: c.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { [this.label]: v }, value: c.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { [this.label]: v }, value: c.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The registry reads only `name` and `get()` of a metric; its type asks for the whole Metric API. */
  asMetric(): Metric<string> {
    return this as unknown as Metric<string>;
  }
}

/** When this process published each live event (performance.now()); copies of it are not timed. */
const publishedAt = new WeakMap<object, number>();
let socketWritten: (surface: Surface, seconds: number) => void = () => {};

export type Surface = 'legacy' | 'graphql_ws';

/**
 * The socket servers call this right after handing a live log's frame to a socket: the last
 * hop, from publication to the socket. Events this process did not publish (replayed, from
 * another instance through Redis, a conflated copy) are not timed.
 */
export function noteSocketWrite(surface: Surface, event: unknown): void {
  const at = typeof event === 'object' && event !== null ? publishedAt.get(event) : undefined;
  if (at !== undefined) socketWritten(surface, (performance.now() - at) / 1000);
}
