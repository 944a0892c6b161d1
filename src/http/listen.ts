// Taking a port, with the one-line reasons start-up ends with when it cannot.
import { createServer, type Server } from 'node:net';

/** Start-up failed for a reason the operator can fix; the message names the setting. */
export class StartupError extends Error {
  constructor(
    message: string,
    /** The system error behind it (EADDRINUSE…), when there is one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Listens, or fails with a StartupError naming `setting`. */
export function listen(server: Server, port: number, host: string, setting: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(
        new StartupError(
          err.code === 'EADDRINUSE'
            ? `port ${port} is already in use; set ${setting} to a free port`
            : `cannot listen on ${host}:${port}: ${err.message}; check ${setting} and HOST`,
          err.code,
        ),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Whether `port` can be taken on `host`, found by taking it for a moment: checked at start-up
 * before anything slow (the embedded database opens in seconds), so a taken port fails at once.
 * Resolves 'in-use', or rejects with listen's StartupError for any other reason.
 */
export async function probePort(port: number, host: string, setting: string): Promise<'free' | 'in-use'> {
  if (port === 0) return 'free';
  const probe = createServer();
  try {
    await listen(probe, port, host, setting);
  } catch (err) {
    if (err instanceof StartupError && err.code === 'EADDRINUSE') return 'in-use';
    throw err;
  } finally {
    await new Promise<void>((resolve) => (probe.listening ? probe.close(() => resolve()) : resolve()));
  }
  return 'free';
}

/** The hint when the embedded broker's port is taken: most often by a broker the service could use. */
export function brokerPortTaken(port: number): string {
  return `a broker already listens on ${port}: set MQTT_URL=mqtt://127.0.0.1:${port} to use it, or MQTT_EMBEDDED_PORT to a free port`;
}

export interface PortSettings {
  PORT: number;
  HOST: string;
  MQTT_URL?: string;
  MQTT_EMBEDDED_PORT: number;
}

/** The first step of start-up: the ports the service will take are free (a start/stop pair, stop a no-op). */
export function createPortCheck(config: PortSettings): { start(): Promise<void>; stop(): void } {
  return {
    async start() {
      if ((await probePort(config.PORT, config.HOST, 'PORT')) === 'in-use') {
        throw new StartupError(`port ${config.PORT} is already in use; set PORT to a free port`, 'EADDRINUSE');
      }
      if (config.MQTT_URL) return;
      if ((await probePort(config.MQTT_EMBEDDED_PORT, config.HOST, 'MQTT_EMBEDDED_PORT')) === 'in-use') {
        throw new StartupError(brokerPortTaken(config.MQTT_EMBEDDED_PORT), 'EADDRINUSE');
      }
    },
    stop() {},
  };
}
