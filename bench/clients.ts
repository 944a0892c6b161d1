// The bench's client process: opens WebSockets (graphql-ws or legacy /api/ws) and counts or
// times what they receive, driven over IPC by the bench (bench/client-process.ts). It runs in
// its own process so that receiving 1,000 sockets' traffic does not share an event loop with
// the publisher or with the service being measured.
//
// Latency needs no clock exchange: publisher and clients are on the same machine, so each
// frame's receipt time minus the publish time carried in it (the log's `timestamp`, published
// as epoch ms) is the publish → receipt latency. Parsing is done on the raw bytes (indexOf, no
// JSON.parse) so the client process stays cheap next to the service it measures.
import WebSocket from 'ws';
import type { ClientCommand, ClientReply, SocketSpec } from './client-process.js';

const HISTOGRAM_MS = 60_000; // 1 ms bins up to a minute; slower deliveries land in the last bin

interface Tally {
  deliveries: number;
  histogram: Uint32Array;
}

const newTally = (): Tally => ({ deliveries: 0, histogram: new Uint32Array(HISTOGRAM_MS + 1) });

const sockets: WebSocket[] = [];
const tallies = new Map<string, Tally>(); // by SocketSpec.kind
const closes = new Map<string, number>(); // close code → sockets closed by the server
let measureFrom = Infinity; // frames published before this (ms) are not counted
let firstAt = 0;
let lastAt = 0;
const terminated = new WeakSet<WebSocket>(); // closed by us: not counted as closed by the server
let received = 0; // every frame after the handshake, counted or not: shows the stream still moves

const TIMESTAMP = Buffer.from('"timestamp":');

/** The publish time (epoch ms) in a log frame: the first `"timestamp":` holds a number (legacy
 * frames carry the payload as published) or an ISO string (graphql-ws `logs { timestamp }`). */
function sentAt(buf: Buffer): number {
  const i = buf.indexOf(TIMESTAMP);
  if (i < 0) return NaN;
  const v = i + TIMESTAMP.length;
  if (buf[v] === 0x22) return Date.parse(buf.toString('latin1', v + 1, buf.indexOf(0x22, v + 1)));
  let n = 0;
  for (let j = v; buf[j]! >= 0x30 && buf[j]! <= 0x39; j++) n = n * 10 + buf[j]! - 0x30;
  return n;
}

function onFrame(kind: string, buf: Buffer): void {
  received++;
  const now = Date.now();
  const t = sentAt(buf);
  if (!(t >= measureFrom)) return;
  const tally = tallies.get(kind) ?? tallies.set(kind, newTally()).get(kind)!;
  tally.deliveries++;
  tally.histogram[Math.min(HISTOGRAM_MS, Math.max(0, now - t))]!++;
  if (!firstAt) firstAt = now;
  lastAt = now;
}

/** Opens one socket; resolves once it is ready (legacy: welcome frame; graphql-ws: ack, then subscribe sent). */
function open(spec: SocketSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    const graphql = spec.kind.startsWith('graphql');
    const ws = new WebSocket(spec.url, graphql ? 'graphql-transport-ws' : undefined, { perMessageDeflate: false, skipUTF8Validation: true }); // less client CPU per frame
    let ready = false; // the promise is settled
    let live = false; // the socket is open and counted in `sockets`
    const done = (err?: Error) => {
      if (ready) return;
      ready = true;
      if (err) reject(err);
      else resolve();
    };
    ws.on('error', (err) => done(err));
    ws.on('unexpected-response', (_req, res) => done(new Error(`HTTP ${res.statusCode}`)));
    ws.on('close', (code) => {
      if (live && !terminated.has(ws)) closes.set(String(code), (closes.get(String(code)) ?? 0) + 1);
      done(new Error(`closed ${code}`));
    });
    if (graphql) ws.on('open', () => ws.send('{"type":"connection_init","payload":{}}'));
    ws.on('message', (data: Buffer) => {
      if (!ready) {
        if (graphql) {
          if (!data.includes('connection_ack')) return;
          if (spec.query) ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: spec.query } }));
        }
        sockets.push(ws);
        live = true;
        return done(); // legacy: this is the welcome frame
      }
      // graphql-ws keep-alive: a server ping must be answered or the server drops us.
      if (graphql && data.length < 40 && data.includes('"ping"')) return ws.send('{"type":"pong"}');
      onFrame(spec.kind, data);
    });
  });
}

/** Opens the sockets `concurrency` at a time (a burst of 10,000 connects overflows the accept backlog). */
async function openAll(specs: SocketSpec[], concurrency: number): Promise<{ opened: number; failed: number; errors: string[] }> {
  let next = 0;
  let failed = 0;
  const errors = new Set<string>();
  const worker = async () => {
    while (next < specs.length) {
      const spec = specs[next++]!;
      await open(spec).catch((err: Error) => {
        failed++;
        errors.add(err.message);
      });
    }
  };
  const before = sockets.length;
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { opened: sockets.length - before, failed, errors: [...errors].slice(0, 5) };
}

function report(): ClientReply {
  const byKind: Record<string, { deliveries: number; histogram: [number, number][] }> = {};
  for (const [kind, t] of tallies) {
    const sparse: [number, number][] = [];
    t.histogram.forEach((n, ms) => n && sparse.push([ms, n]));
    byKind[kind] = { deliveries: t.deliveries, histogram: sparse };
  }
  const cpu = process.cpuUsage();
  return { type: 'report', byKind, firstAt, lastAt, cpuSeconds: (cpu.user + cpu.system) / 1e6, open: sockets.filter((s) => s.readyState === WebSocket.OPEN).length, closes: Object.fromEntries(closes) };
}

process.on('message', async (cmd: ClientCommand) => {
  const reply = (r: ClientReply) => process.send!(r);
  switch (cmd.cmd) {
    case 'open':
      return reply({ type: 'opened', ...(await openAll(cmd.sockets, cmd.concurrency ?? 100)) });
    case 'measure':
      measureFrom = cmd.from;
      tallies.clear();
      firstAt = lastAt = 0;
      return reply({ type: 'ok' });
    case 'count': {
      let deliveries = 0;
      for (const t of tallies.values()) deliveries += t.deliveries;
      return reply({ type: 'count', deliveries, received, lastAt });
    }
    case 'report':
      return reply(report());
    case 'close':
      for (const s of sockets) {
        terminated.add(s);
        s.terminate();
      }
      sockets.length = 0;
      return reply({ type: 'ok' });
  }
});
process.send!({ type: 'ok' } satisfies ClientReply);
process.on('disconnect', () => process.exit(0)); // the bench ended: do not outlive it
