// Environment → typed Config, validated once at start-up and passed down as an argument.
// Nothing else in the service reads process.env.
import proxyAddr from 'proxy-addr';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const url = (protocols: string[]) =>
  optionalString.refine(
    (v) => v === undefined || protocols.some((p) => v.startsWith(`${p}://`)),
    `must start with ${protocols.map((p) => `${p}://`).join(' or ')}`,
  );
const positiveInt = z.coerce.number().int().positive();

// HS256 keys shorter than the hash (32 bytes) are guessable offline from one token (RFC 7518 §3.2).
const MIN_SECRET_BYTES = 32;
// Unset or empty (as compose passes an unset variable): no auth, with a warning at start. Only
// whitespace is a mistake, not a request for no auth: refused, like a key too short to be safe.
const jwtSecret = z
  .string()
  .optional()
  .superRefine((v, ctx) => {
    if (v === undefined || v === '') return;
    if (v.trim() === '') ctx.addIssue({ code: 'custom', message: 'is blank; unset it to run without auth, or give at least 32 bytes' });
    else if (Buffer.byteLength(v.trim()) < MIN_SECRET_BYTES) ctx.addIssue({ code: 'custom', message: `must be at least ${MIN_SECRET_BYTES} bytes (HS256)` });
  })
  .transform((v) => (v === '' ? undefined : v?.trim()));

export type TrustProxy = { hops: number } | { addresses: string[] };
// The proxies in front of the service, so limits key on the client's address (X-Forwarded-For)
// instead of the proxy's: a hop count, or the proxies' addresses/CIDRs (proxy-addr's names
// loopback, linklocal, uniquelocal too). Unset: the socket's address, X-Forwarded-For ignored.
const trustProxy = optionalString.transform((v, ctx): TrustProxy | undefined => {
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops >= 1 && hops <= 10) return { hops };
    ctx.addIssue({ code: 'custom', message: 'a hop count must be 1..10' });
    return z.NEVER;
  }
  const addresses = v.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    proxyAddr.compile(addresses);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; give a hop count or comma-separated addresses/CIDRs` });
    return z.NEVER;
  }
  return { addresses };
});

const schema = z.object({
  PORT: port.default(8000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: url(['postgres', 'postgresql']),
  DATA_DIR: z.string().min(1).default('./data'),
  MQTT_URL: url(['mqtt', 'mqtts', 'tcp', 'ssl', 'ws', 'wss']),
  MQTT_EMBEDDED_PORT: port.default(1883),
  MQTT_TOPIC_PREFIX: z
    .string()
    .regex(/^[^#+/\u0000][^#+\u0000]*$/, 'must be a topic level without wildcards, e.g. "seano"')
    .transform((v) => v.replace(/\/+$/, ''))
    .default('seano'),
  MQTT_USERNAME: optionalString,
  MQTT_PASSWORD: optionalString,
  MQTT_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . : -')
    .optional(),
  // Set on every instance of a scaled-out deployment: they share the stream ($share/{group}/...)
  // so each message is stored once. Mosquitto 2, EMQX, HiveMQ support it; aedes does not.
  MQTT_SHARED_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ -')
    .optional(),
  // Subscriber connections to an external broker. More than 1 puts them on one shared
  // subscription, which multiplies the broker's per-connection in-flight cap (Mosquitto's
  // max_inflight_messages, 20 by default) — but Mosquitto 2 does not keep shared subscriptions
  // across a broker restart, so messages published before we resubscribe are lost. 1 (a plain
  // persistent subscription) loses nothing; raise max_inflight_messages on the broker instead.
  MQTT_INGEST_CONNECTIONS: positiveInt.max(64).default(1),
  // 256 KiB: a generous ceiling for one telemetry message; larger ones are rejected, not stored.
  MQTT_MAX_PAYLOAD: positiveInt.max(16 * 1024 * 1024).default(256 * 1024),
  // Messages read from the broker but not yet committed. Past it we stop reading (backpressure).
  INGEST_MAX_INFLIGHT: positiveInt.max(100_000).default(2000),
  // Rows per transaction at most; batches form by themselves while the previous one commits.
  // At most 1000: a batch is published synchronously, and the pubsub's subscriber queue
  // (a Repeater without buffer) refuses more than 1024 unconsumed pushes.
  INGEST_MAX_BATCH: positiveInt.max(1000).default(500),
  // Bytes of spool files (1 GiB) holding messages while the database is unreachable: hours of a
  // fleet's telemetry. When full the service stops reading from the broker, which keeps the rest.
  SPOOL_MAX_BYTES: positiveInt.min(4096).max(1024 ** 4).default(1024 ** 3),
  // Bytes of a rejected message's payload that are kept (4 KiB): enough to see what was wrong;
  // its full size and SHA-256 are kept too. A flood of large bad payloads cannot fill the disk.
  REJECTED_PAYLOAD_BYTES: z.coerce.number().int().min(0).max(16 * 1024 * 1024).default(4096),
  // Days rejected messages are kept (7): long enough to notice and debug a misbehaving vessel.
  REJECTED_RETENTION_DAYS: positiveInt.max(36_500).default(7),
  // mqtts:// — a PEM file with the CA that signed the broker's certificate (else the system CAs).
  MQTT_CA_FILE: optionalString,
  AUTH_JWT_SECRET: jwtSecret,
  // Checked in every token when set (claims `aud` / `iss`), so tokens minted for another service
  // with the same secret are refused.
  AUTH_JWT_AUDIENCE: optionalString.pipe(z.string().max(512).optional()),
  AUTH_JWT_ISSUER: optionalString.pipe(z.string().max(512).optional()),
  TRUST_PROXY: trustProxy,
  // 1 MiB: a GraphQL request is a query and its variables; larger bodies are refused (413) from
  // their Content-Length, before a byte of them is read.
  HTTP_MAX_BODY_BYTES: positiveInt.min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  // Seconds a client may take to send its request headers (10) and its whole request (30);
  // then the socket is closed, so slow-sending clients (slowloris) cannot hold sockets open.
  // Responses are not limited by these: SSE streams and exports run as long as they need.
  HTTP_HEADERS_TIMEOUT_SECONDS: positiveInt.max(300).default(10),
  HTTP_REQUEST_TIMEOUT_SECONDS: positiveInt.max(3600).default(30),
  // Limits for a public endpoint. Each refusal is a clear error or close code, counted in stats.
  // The server pings legacy sockets this often and drops those that did not answer the last ping.
  WS_PING_INTERVAL_SECONDS: positiveInt.max(3600).default(30),
  WS_MAX_CONNECTIONS: positiveInt.max(1_000_000).default(20_000),
  WS_MAX_CONNECTIONS_PER_IP: positiveInt.max(1_000_000).default(200),
  WS_MAX_MESSAGES_PER_SECOND: positiveInt.max(100_000).default(50), // inbound, per socket
  WS_MAX_PAYLOAD: positiveInt.max(16 * 1024 * 1024).default(64 * 1024), // inbound frame, bytes
  GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveInt.max(10_000).default(20),
  // When a live subscriber lags (SPEC §9): more than this many bytes unsent on its socket (4 MiB,
  // a few seconds of a busy fleet on a slow link) or this many events waiting for it (10,000).
  // It is then conflated (or ended, onLag: CLOSE); a conflated backlog holds no more than both.
  LIVE_MAX_UNSENT_BYTES: positiveInt.min(64 * 1024).max(1024 ** 3).default(4 * 1024 * 1024),
  LIVE_MAX_WAITING_EVENTS: positiveInt.min(100).max(1_000_000).default(10_000),
  GRAPHQL_MAX_DEPTH: positiveInt.max(100).default(15),
  GRAPHQL_MAX_ALIASES: positiveInt.max(1000).default(15),
  GRAPHQL_MAX_TOKENS: positiveInt.max(100_000).default(1000),
  // A page's size (`first`/`last`, literal or variable) multiplies its cost: one full page (1000 logs, every field)
  // costs ~300,000, so the default admits one such page per request, not several.
  GRAPHQL_MAX_COST: positiveInt.max(100_000_000).default(500_000),
  // Bytes of log text and JSON one query's response may carry (32 MiB): the cost limit bounds
  // how many logs, not how large; past this the query gets one error instead of a response that
  // would take hundreds of MB of memory to build (a page of 1000 raw lines of 100 KB is ~100 MB).
  GRAPHQL_MAX_RESPONSE_BYTES: positiveInt.min(1024).max(1024 * 1024 * 1024).default(32 * 1024 * 1024),
  // Exports at once (4): on PostgreSQL each holds a connection of its own for as long as it runs.
  EXPORT_MAX_CONCURRENT: positiveInt.max(100).default(4),
  // Exports at once per client, by token subject (`sub`) or else address (2): below the total,
  // so one client cannot take every slot.
  EXPORT_MAX_PER_CLIENT: positiveInt.max(100).default(2),
  // Seconds an export waits for its client to take the bytes already sent (60, nginx's
  // send_timeout); then it is cut off and its slot freed.
  EXPORT_IDLE_TIMEOUT_SECONDS: positiveInt.max(3600).default(60),
  ALLOWED_ORIGINS: optionalString.transform((v) =>
    v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean),
  ),
  REDIS_URL: url(['redis', 'rediss']),
  // A vessel is OFFLINE after this long without any message.
  OFFLINE_AFTER_SECONDS: positiveInt.max(86_400).default(30),
  // Seconds (60) a log's own timestamp may lie before its receipt and still count as current:
  // older ones are `late` (a backlog flushed after a link outage) and never move a vessel's
  // latest telemetry back nor keep it ONLINE. A minute covers clock drift and a slow link.
  LATE_AFTER_SECONDS: positiveInt.max(7 * 86_400).default(60),
  // A YAML or JSON file of alert rules (README: Alerts), read and validated once at start: a bad
  // file ends start-up naming the rule and field. Unset: no rules, no alerts.
  ALERT_RULES_FILE: optionalString,
  // Unset: keep all logs. Set: logs older than this are deleted, in small batches, hourly.
  LOG_RETENTION_DAYS: positiveInt.max(36_500).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Map tiles for the dashboard, fetched by the operator's browser, never by the service: on a
  // boat's network without internet the page falls back to its own grid. Empty: no tiles at all.
  MAP_TILE_URL: z
    .string()
    .max(2048)
    .default('https://tile.openstreetmap.org/{z}/{x}/{y}.png')
    .transform((v) => v.trim())
    .refine(
      (v) => v === '' || (/^https?:\/\//.test(v) && ['{z}', '{x}', '{y}'].every((p) => v.includes(p))),
      'must be empty or an http(s) URL with {z}, {x} and {y}, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    ),
  // Shown on the map whenever tiles are: tile servers' licences require it.
  MAP_TILE_ATTRIBUTION: z.string().max(500).default('© OpenStreetMap contributors'),
});

const checked = schema.superRefine((c, ctx) => {
  // Node refuses a request timeout shorter than the headers timeout.
  if (c.HTTP_REQUEST_TIMEOUT_SECONDS < c.HTTP_HEADERS_TIMEOUT_SECONDS) {
    ctx.addIssue({ code: 'custom', path: ['HTTP_REQUEST_TIMEOUT_SECONDS'], message: 'must be at least HTTP_HEADERS_TIMEOUT_SECONDS' });
  }
  for (const name of ['AUTH_JWT_AUDIENCE', 'AUTH_JWT_ISSUER'] as const) {
    if (c[name] !== undefined && c.AUTH_JWT_SECRET === undefined) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'has no effect without AUTH_JWT_SECRET' });
    }
  }
});

export type Config = z.output<typeof schema>;
export type Env = Record<string, string | undefined>;

/** Thrown for a bad setting; the message names the variable so the operator knows what to change. */
export class ConfigError extends Error {}

export function loadConfig(env: Env = process.env): Config {
  return parseEnv(checked, env);
}

// What `npm run simulate` shares with the service: where the broker is (MQTT_URL, else the
// embedded one on MQTT_EMBEDDED_PORT), the topic prefix and the credentials — one definition.
const brokerSchema = schema.pick({ MQTT_URL: true, MQTT_EMBEDDED_PORT: true, MQTT_TOPIC_PREFIX: true, MQTT_USERNAME: true, MQTT_PASSWORD: true });
export type BrokerSettings = z.output<typeof brokerSchema>;

export function loadBrokerSettings(env: Env = process.env): BrokerSettings {
  return parseEnv(brokerSchema, env);
}

function parseEnv<S extends z.ZodType>(settings: S, env: Env): z.output<S> {
  const result = settings.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = String(issue.path[0] ?? 'environment');
  const value = env[name];
  const shown = name.includes('PASSWORD') || name.includes('SECRET') ? '(hidden)' : JSON.stringify(value);
  throw new ConfigError(`Invalid setting ${name}=${shown}: ${issue.message}`);
}
