// A private Mosquitto 2 for tests and the bench that need a broker configured as the project's
// docker-compose configures it (max_queued_messages 100000): the machine's broker keeps
// Mosquitto's default of 1000 queued messages per session and silently drops the rest.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { waitForPort } from './ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Mosquitto {
  url: string;
  port: number;
  /** Stops the broker (SIGTERM: it saves its persistent sessions first). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same persistence file. */
  restart(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function startMosquitto(o: { maxQueued?: number } = {}): Promise<Mosquitto & { dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'seano-mosquitto-'));
  // Started as root, mosquitto drops to its own user, which must be able to save sessions here.
  await chmod(dir, 0o777);
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`,
      `max_queued_messages ${o.maxQueued ?? 100000}`, 'max_inflight_messages 2000', 'log_dest none'].join('\n') + '\n',
  );
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    await waitForPort(port, 'mosquitto');
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop,
    restart: start,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
