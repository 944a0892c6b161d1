// The three live surfaces as one kind of reader for the live-delivery tests: graphql-ws, SSE and
// the legacy socket, each turned into the same list of deliveries, and each able to stop reading
// its socket (so the server's writes back up) and to start again.
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { Collector, openFeed } from '../utils/clients.js';
import { leave } from '../utils/leftovers.js';
import { openSse } from '../utils/sse.js';
import type { TestService } from '../utils/service.js';
import { untilServer } from '../utils/wait.js';

/** One log as a reader got it, whatever the surface. */
export interface Delivery {
  id: string;
  vehicleId: number;
  type: string;
  sensorId?: number;
  /** The publisher's counter inside the log (`n` in data, or the raw line's number). */
  n: number;
  skipped?: number;
  late?: boolean;
}

export interface Reader {
  name: string;
  logs: Collector<Delivery>;
  /** GraphQL errors or the legacy error frames it got. */
  errors: Collector<unknown>;
  /** Resolves once the server ended the stream (error, close, or end of the response). */
  ended: Promise<unknown>;
  pause(): void;
  resume(): void;
  /** Ends it; resolves once the service let go of it, so a count read next is not off by this one. */
  close(): Promise<void>;
}

export interface LiveArgs {
  vehicleId?: number;
  onLag?: 'CONFLATE' | 'CLOSE';
  maxRate?: number;
  /** Replay the stored logs after this id first. */
  after?: string;
  token?: string;
}

export const LOGS = `subscription Live($vehicleId: Int, $onLag: LagPolicy, $maxRate: Float, $after: ID) {
  logs(vehicleId: $vehicleId, onLag: $onLag, maxRate: $maxRate, after: $after) {
    id vehicleId type late
    ... on RawLog { message }
    ... on SensorLog { sensorId data }
    ... on VehicleLog { data }
  }
}`;

const numberIn = (data: unknown, message?: unknown): number =>
  typeof message === 'string' ? Number(/line (\d+)/.exec(message)?.[1]) : Number((data as { n?: unknown } | null)?.n);

function fromGraphQL(log: any, extensions?: { skipped?: number }): Delivery {
  const type = String(log.type).toLowerCase(); // the LogType enum's value, as the legacy frames spell it
  return { id: log.id, vehicleId: log.vehicleId, type, sensorId: log.sensorId, n: numberIn(log.data, log.message), skipped: extensions?.skipped, late: log.late };
}

const variablesOf = (a: LiveArgs) => ({ vehicleId: a.vehicleId, onLag: a.onLag, maxRate: a.maxRate, after: a.after });

/** A graphql-ws subscription, resolved once the service runs it (open readers one at a time). */
export async function graphqlWsReader(svc: TestService, a: LiveArgs = {}): Promise<Reader> {
  const running = svc.app.stats().activeSubscriptions;
  const logs = new Collector<Delivery>();
  const errors = new Collector<unknown>();
  let connected!: (s: WebSocket) => void;
  const socket = new Promise<WebSocket>((resolve) => (connected = resolve));
  const client = createClient({
    url: `${svc.wsUrl}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: a.token ? { authorization: `Bearer ${a.token}` } : undefined,
    on: { connected: (s) => connected(s as WebSocket) },
  });
  leave(() => client.dispose());
  const ended = new Promise<unknown>((done) =>
    client.subscribe(
      { query: LOGS, variables: variablesOf(a) },
      {
        next: (r) => (r.errors ? errors.push(r.errors) : logs.push(fromGraphQL((r.data as any).logs, r.extensions as never))),
        error: (e) => (errors.push(e), done(e)),
        complete: () => done(undefined),
      },
    ),
  );
  const ws = await socket;
  // Nothing a client sees says the subscribe message was taken: the service's count does.
  await untilServer(svc, (s) => s.activeSubscriptions > running, 'the graphql-ws subscription running');
  const close = async () => {
    const before = svc.app.stats().activeSubscriptions;
    await client.dispose();
    await untilServer(svc, (s) => s.activeSubscriptions < before, 'the graphql-ws subscription ended');
  };
  return { name: 'graphql-ws', logs, errors, ended, pause: () => ws.pause(), resume: () => ws.resume(), close };
}

export async function sseReader(svc: TestService, a: LiveArgs = {}): Promise<Reader> {
  const headers: Record<string, string> = a.token ? { authorization: `Bearer ${a.token}` } : {};
  const logs = new Collector<Delivery>();
  const errors = new Collector<unknown>();
  const stream = await openSse(`${svc.httpUrl}/graphql`, LOGS, variablesOf(a), headers, (r) =>
    r.errors ? errors.push(r.errors) : logs.push(fromGraphQL(r.data.logs, r.extensions)),
  );
  const close = async () => {
    stream.close();
    await stream.ended;
  };
  return { name: 'SSE', logs, errors, ended: stream.ended, pause: stream.pause, resume: stream.resume, close };
}

/** The legacy socket; `query` is its own (?on_lag=, ?max_rate=, ?token=). */
export async function legacyReader(svc: TestService, path = '/api/ws', query: Record<string, string | number | undefined> = {}): Promise<Reader> {
  const params = new URLSearchParams(Object.entries(query).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])));
  const feed = await openFeed(`${svc.wsUrl}${path}${params.size ? `?${params}` : ''}`);
  const logs = new Collector<Delivery>();
  const errors = new Collector<unknown>();
  const take = (f: any) => {
    if (f.type === 'error') errors.push(f);
    else if (f.id !== undefined && f.vehicle_id !== undefined) {
      logs.push({ id: f.id, vehicleId: f.vehicle_id, type: f.type, sensorId: f.sensor_id, n: numberIn(f.data, f.type === 'raw_log' ? f.data : undefined), skipped: f.skipped, late: f.late });
    }
  };
  // Frames that came with the connection frame (a replay) are already collected; later ones arrive here.
  for (const f of feed.messages.items) take(f);
  feed.socket.on('message', (data) => take(JSON.parse(data.toString())));
  const close = async () => {
    feed.close();
    await feed.closed;
  };
  return { name: 'legacy', logs, errors, ended: feed.closed, pause: () => feed.socket.pause(), resume: () => feed.socket.resume(), close };
}
