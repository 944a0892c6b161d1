// Parent side of bench/clients.ts: forks the client process and sends it one command at a time
// over IPC. Also the small statistics the latency figures need (percentiles of a histogram).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from './lib.js';

export interface SocketSpec {
  /** Tally key; `graphql…` kinds speak graphql-transport-ws, the rest are legacy /api/ws sockets. */
  kind: string;
  url: string;
  /** graphql-ws: the subscription sent after connection_ack (none: connection_init only, idle). */
  query?: string;
}

export type ClientCommand =
  | { cmd: 'open'; sockets: SocketSpec[]; concurrency?: number }
  | { cmd: 'measure'; from: number }
  | { cmd: 'count' }
  | { cmd: 'report' }
  | { cmd: 'close' };

export type Opened = { opened: number; failed: number; errors: string[] };
export type Report = {
  byKind: Record<string, { deliveries: number; histogram: [number, number][] }>;
  firstAt: number;
  lastAt: number;
  /** CPU time the client process has used so far (user + system). */
  cpuSeconds: number;
  open: number;
  closes: Record<string, number>;
};

export type ClientReply =
  | ({ type: 'opened' } & Opened)
  | { type: 'ok' }
  | { type: 'count'; deliveries: number; received: number; lastAt: number }
  | ({ type: 'report' } & Report);

const script = fileURLToPath(new URL('./clients.ts', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));

export class ClientProcess {
  private readonly pending: ((r: ClientReply) => void)[] = [];
  private readonly exited: Promise<void>;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (r: ClientReply) => this.pending.shift()?.(r));
    this.exited = new Promise((r) => child.once('exit', () => r()));
  }

  static async start(): Promise<ClientProcess> {
    // Its output goes to our stderr: our stdout carries only the JSON.
    const child = fork(script, [], { cwd: root, execArgv: ['--import', 'tsx'], stdio: ['ignore', 2, 2, 'ipc'] });
    const cp = new ClientProcess(track(child));
    await new Promise<ClientReply>((r) => cp.pending.push(r)); // its first 'ok': ready for commands
    return cp;
  }

  private send<T extends ClientReply>(cmd: ClientCommand): Promise<T> {
    return new Promise((resolve, reject) => {
      this.pending.push((r) => resolve(r as T));
      void this.exited.then(() => reject(new Error(`client process exited during ${cmd.cmd}`)));
      this.child.send(cmd);
    });
  }

  open(sockets: SocketSpec[], concurrency?: number): Promise<Opened> {
    return this.send<{ type: 'opened' } & Opened>({ cmd: 'open', sockets, concurrency });
  }
  /** Counts only frames published at or after `from` (epoch ms), and forgets earlier counts. */
  measure(from: number): Promise<unknown> {
    return this.send({ cmd: 'measure', from });
  }
  count(): Promise<{ deliveries: number; received: number; lastAt: number }> {
    return this.send<{ type: 'count'; deliveries: number; received: number; lastAt: number }>({ cmd: 'count' });
  }
  report(): Promise<Report> {
    return this.send<{ type: 'report' } & Report>({ cmd: 'report' });
  }
  /** Closes every socket (terminate: no closing handshake); the process stays for more. */
  closeAll(): Promise<unknown> {
    return this.send({ cmd: 'close' });
  }
  async stop(): Promise<void> {
    await this.closeAll();
    this.child.kill();
    await this.exited;
  }

  /** Resolves when the deliveries reach `expected`, or when no frame at all arrived for `idleMs`. */
  async drain(expected: number, idleMs = 10_000): Promise<{ deliveries: number; lastAt: number }> {
    let last = await this.count();
    let since = Date.now();
    while (last.deliveries < expected && Date.now() - since < idleMs) {
      await new Promise((r) => setTimeout(r, 100));
      const c = await this.count();
      if (c.received !== last.received) since = Date.now();
      last = c;
    }
    return last;
  }
}

/** p50/p95/p99/max/mean (ms) of sparse [ms, count] histograms merged. */
export function percentiles(...histograms: [number, number][][]) {
  const bins = new Map<number, number>();
  for (const h of histograms) for (const [ms, n] of h) bins.set(ms, (bins.get(ms) ?? 0) + n);
  const sorted = [...bins].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((s, [, n]) => s + n, 0);
  const at = (q: number) => {
    let seen = 0;
    for (const [ms, n] of sorted) if ((seen += n) >= q * total) return ms;
    return NaN;
  };
  const mean = total ? sorted.reduce((s, [ms, n]) => s + ms * n, 0) / total : NaN;
  return { deliveries: total, p50_ms: at(0.5), p95_ms: at(0.95), p99_ms: at(0.99), max_ms: sorted.at(-1)?.[0] ?? NaN, mean_ms: Number(mean.toFixed(1)) };
}
