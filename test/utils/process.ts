// A server process a test needs (mosquitto, redis-server), ready when it says so on its output
// rather than when a poll of its port first succeeds.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { leave } from './leftovers.js';

export interface ServerProcess {
  child: ChildProcess;
  /** SIGTERM and wait for the exit (brokers save their sessions first). */
  stop(): Promise<void>;
}

/** Spawns `command` and resolves once its output matches `ready`; rejects if it exits first. */
export async function spawnReady(command: string, args: string[], ready: RegExp): Promise<ServerProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    // Mosquitto 2.0 misses a SIGTERM that lands just before its loop sleeps: say it again.
    const again = setInterval(() => child.kill('SIGTERM'), 500);
    await exited;
    clearInterval(again);
  };
  leave(stop);
  await new Promise<void>((resolve, reject) => {
    const onOutput = (chunk: Buffer) => {
      output += chunk;
      if (ready.test(output)) {
        // Keep draining the pipes (a full pipe would block the server) but stop collecting.
        child.stdout!.off('data', onOutput).resume();
        child.stderr!.off('data', onOutput).resume();
        resolve();
      }
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    child.once('error', reject);
    void exited.then(() => reject(new Error(`${command} exited before it was ready: ${output.slice(-2000)}`)));
  });
  return { child, stop };
}

/** A port nothing listens on now, for servers that cannot be told to pick one themselves. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
