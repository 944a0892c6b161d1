// The MQTT edge, and the only file that imports 'mqtt'.
//
// QoS 1 with a persistent session; a PUBACK leaves only after the message's batch committed.
// MQTT.js hands a connection its next packet only after the previous message's handler called
// back, and its callback is what sends the PUBACK. Calling back at commit time would allow one
// message in flight per connection (one commit per message: the original's ~580 msg/s).
// So the callback runs at once and the PUBACK it produces is held back here, then sent when the
// batch commits. `maxInflight` bounds the held messages: past it the callback waits, which stops
// the connection reading (backpressure reaches the broker). So does a full spool (SPOOL_MAX_BYTES)
// while the database is away: the broker keeps the messages instead of the service dropping any.
// (Held for long, MQTT.js reads no PINGRESP either and reconnects after 1.5 keepalives; the
// broker then redelivers what was not acknowledged, so nothing is lost that way either.) This works the same with Mosquitto
// and the embedded aedes broker (MQTT 3.1.1, no shared subscriptions).
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { IngestCounters } from './counters.js';
import { topicType } from './topics.js';
import type { PayloadLimits } from './payload.js';
import { toWriteItem } from './item.js';
import { topicFilters } from './topics.js';
import type { LogWriter } from './writer.js';

export interface MqttIngestOptions extends PayloadLimits {
  url: string;
  clientId: string;
  /**
   * Subscriber connections. A broker keeps only so many unacknowledged messages in flight per
   * connection (Mosquitto: 20), which caps a batch; several connections on one shared
   * subscription multiply it. 1 for brokers without shared subscriptions (aedes).
   */
  connections: number;
  username?: string;
  password?: string;
  /** PEM of the CA for mqtts:// brokers with a private CA. */
  ca?: Buffer;
  /** Shared-subscription group ($share/{group}/...) so N instances split the stream. */
  sharedGroup?: string;
  maxInflight: number;
  writer: LogWriter;
  counters: IngestCounters;
  logger: Logger;
}

export interface MqttIngest {
  readonly connected: boolean;
  /** Stops taking messages, waits for held ones to commit and be acknowledged, disconnects. */
  stop(): Promise<void>;
}

type Packet = { cmd: string; messageId?: number };
type SendPacket = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

const RECONNECT_MIN_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;

export async function startMqttIngest(o: MqttIngestOptions): Promise<MqttIngest> {
  const group = o.sharedGroup ?? (o.connections > 1 ? o.clientId : undefined);
  const filters = topicFilters(o.prefix).map((f) => (group ? `$share/${group}/${f}` : f));
  const connections: MqttIngest[] = [];
  try {
    for (let i = 0; i < o.connections; i++) {
      // Stable ids: each connection finds its persistent session again after a restart.
      connections.push(await connectSubscriber(o, i === 0 ? o.clientId : `${o.clientId}-${i}`, filters));
    }
  } catch (err) {
    await Promise.all(connections.map((c) => c.stop()));
    throw err;
  }
  return {
    get connected() {
      return connections.every((c) => c.connected);
    },
    async stop() {
      await Promise.all(connections.map((c) => c.stop()));
    },
  };
}

async function connectSubscriber(o: MqttIngestOptions, clientId: string, filters: string[]): Promise<MqttIngest> {
  const options: IClientOptions = {
    clientId,
    clean: false, // persistent session: the broker keeps our QoS 1 messages while we are away
    protocolVersion: 4, // 3.1.1: what both aedes and Mosquitto speak
    reconnectPeriod: RECONNECT_MIN_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    username: o.username,
    password: o.password,
    ...(o.ca && { ca: o.ca }),
    resubscribe: true,
  };
  const client = mqtt.connect(o.url, { ...options, manualConnect: true });
  let stopping = false;
  const acks = ackOnCommit(client, o, () => stopping);

  let reconnectDelay = RECONNECT_MIN_MS;
  let connectedBefore = false;
  client.on('connect', (connack) => {
    // MQTT.js resubscribes when the broker lost our session. A shared subscription can be lost
    // even when the session was kept (Mosquitto 2 does not persist them): subscribe again.
    if (connectedBefore && connack.sessionPresent && filters.some((f) => f.startsWith('$share/'))) {
      client.subscribe(filters, { qos: 1 });
    }
    connectedBefore = true;
    reconnectDelay = RECONNECT_MIN_MS;
    client.options.reconnectPeriod = reconnectDelay;
    o.logger.info({ url: redactUrl(o.url), clientId }, 'MQTT connected');
  });
  client.on('close', () => acks.disconnected());
  client.on('reconnect', () => {
    reconnectDelay = Math.min(RECONNECT_MAX_MS, reconnectDelay * 2);
    client.options.reconnectPeriod = reconnectDelay;
  });
  client.on('error', (err) => o.logger.warn({ err: err.message }, 'MQTT error'));

  await connectOnce(client, o.url);
  await client.subscribeAsync(filters, { qos: 1 });

  return {
    get connected() {
      return client.connected;
    },
    async stop() {
      stopping = true;
      acks.dispose();
      await o.writer.flush(); // commits what was taken; PUBACKs go out as each batch commits
      await client.endAsync(false);
    },
  };
}

/**
 * Takes over MQTT.js's message handler and PUBACK path: each message goes to the writer, its
 * PUBACK leaves once the writer settled it, and the handler's callback (the next packet) waits
 * while there is no room — in memory (maxInflight) or in the spool.
 */
function ackOnCommit(client: MqttClient, o: MqttIngestOptions, stopping: () => boolean): { disconnected(): void; dispose(): void } {
  const internals = client as unknown as { _sendPacket: SendPacket };
  const sendPacket = internals._sendPacket.bind(client);
  let generation = 0; // bumps on every disconnect: a held PUBACK never crosses connections
  let inflight = 0;
  const intercept = new Set<number>(); // PUBACKs to swallow when MQTT.js tries to send them
  let waiting: (() => void)[] = [];
  const room = () => inflight < o.maxInflight && o.writer.accepting && o.writer.roomInNextBatch;
  const release = () => {
    while (waiting.length > 0 && room()) waiting.shift()!();
  };

  internals._sendPacket = (packet, cb, ...rest) => {
    if (packet.cmd === 'puback' && packet.messageId !== undefined && intercept.delete(packet.messageId)) {
      cb?.(); // let the next packet flow; the real PUBACK goes out at commit
      return;
    }
    sendPacket(packet, cb, ...rest);
  };
  client.handleMessage = (packet: IPublishPacket, callback) => {
    if (stopping()) return; // not acknowledged: the broker redelivers it to the next run
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const item = toWriteItem({ topic: packet.topic, payload, receivedAt: new Date() }, o);
    o.counters.count('received', topicType(packet.topic));
    const gen = generation;
    inflight++;
    void o.writer.write(item).then(() => {
      inflight--;
      if (packet.qos > 0 && gen === generation && client.connected) {
        sendPacket({ cmd: 'puback', messageId: packet.messageId });
      }
      release();
    });
    if (packet.qos > 0) intercept.add(packet.messageId!);
    if (room()) callback();
    else waiting.push(() => callback());
  };
  const unlisten = o.writer.onAccepting(release);
  return {
    disconnected() {
      generation++;
      intercept.clear();
      waiting = [];
    },
    dispose: unlisten,
  };
}

/** Resolves on the first CONNACK; rejects with one clear line when the broker cannot be reached. */
function connectOnce(client: MqttClient, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      cleanup();
      client.end(true);
      reject(new Error(`cannot connect to the MQTT broker at ${redactUrl(url)} (${why}); check MQTT_URL`));
    };
    const timer = setTimeout(() => fail('no answer'), CONNECT_TIMEOUT_MS);
    const onConnect = () => (cleanup(), resolve());
    const onError = (err: Error) => fail(err.message);
    const onClose = () => fail('connection closed');
    const cleanup = () => {
      clearTimeout(timer);
      client.off('connect', onConnect).off('error', onError).off('close', onClose);
    };
    client.on('connect', onConnect).on('error', onError).on('close', onClose);
    client.connect();
  });
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}
