// A private Mosquitto 2 for tests and the bench that need a broker configured as the project's
// docker-compose configures it (max_queued_messages 100000): the machine's broker keeps
// Mosquitto's default of 1000 queued messages per session and silently drops the rest.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leave } from './leftovers.js';
import { freePort, spawnReady, type ServerProcess } from './process.js';

export interface Mosquitto {
  url: string;
  port: number;
  /** Stops the broker (SIGTERM: it saves its persistent sessions first). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same persistence file. */
  restart(): Promise<void>;
}

export async function startMosquitto(o: { maxQueued?: number } = {}): Promise<Mosquitto & { dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'seano-mosquitto-'));
  const removeDir = leave(() => rm(dir, { recursive: true, force: true }));
  // Started as root, mosquitto drops to its own user, which must be able to save sessions here.
  await chmod(dir, 0o777);
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`,
      `max_queued_messages ${o.maxQueued ?? 100000}`, 'max_inflight_messages 2000',
      // It says "running" once it listens (on stderr, which it does not buffer): the start waits for it.
      'log_dest stderr', 'log_type error', 'log_type warning', 'log_type information'].join('\n') + '\n',
  );
  let broker: ServerProcess | undefined;
  const start = async () => {
    broker = await spawnReady('mosquitto', ['-c', conf], /mosquitto version \S+ running/);
  };
  const stop = async () => broker?.stop();
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop,
    restart: start,
    async dispose() {
      await stop();
      await removeDir();
    },
  };
}
