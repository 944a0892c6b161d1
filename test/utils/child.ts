// The service as a child process (`node --import tsx src/main.ts`), for crash, signal and
// bench runs where the service must have its own process and event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { leave } from './leftovers.js';

export interface ChildService {
  url: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
  stats(): Promise<any>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `args`: node's arguments; the compiled service (`npm start`) is ['dist/main.js'] once built. */
export async function spawnService(env: Record<string, string>, args: string[] = ['--import', 'tsx', 'src/main.ts']): Promise<ChildService> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // A test that failed before stopping it: killed, not left running.
  leave(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!.replace('localhost', '127.0.0.1'));
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`service exited with ${code}: ${out}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    exited,
    output: () => out,
    stats: async () => (await fetch(`${url}/api/ws/stats`)).json(),
  };
}
