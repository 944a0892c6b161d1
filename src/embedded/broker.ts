// Embedded MQTT broker (aedes, MQTT 3.1.1) for the no-services default: vehicles and the
// simulator publish to it on MQTT_EMBEDDED_PORT, and the service subscribes to it like to any
// other broker, through the same MQTT client code.
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /** When set, clients must present these credentials (same as MQTT_USERNAME/MQTT_PASSWORD). */
  username?: string;
  password?: string;
}

export async function startEmbeddedBroker(o: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  if (o.username !== undefined) {
    broker.authenticate = (_client, username, password, done) => {
      const ok = username === o.username && (password?.toString() ?? '') === (o.password ?? '');
      done(null, ok);
    };
  }
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async stop() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
