// Hostile clients for bench/hostile.ts, over real sockets (silent WebSocket upgrades are in
// test/utils/silent-socket.ts): a graphql-ws client that does the handshake, large POST bodies, SSE streams and slow export
// readers. Each resolves with what the client saw (statuses, close codes, times), never throws
// for a refusal: a refusal is an outcome to report.
import { connect } from 'node:net';
import http from 'node:http';
import WebSocket from 'ws';

const since = (t0: number) => Number(((performance.now() - t0) / 1000).toFixed(2));

/** A graphql-ws client up to connection_ack: 'ack', or the upgrade's HTTP status, or the close code. */
export function graphqlWsHandshake(url: string, token: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'graphql-transport-ws');
    const done = (outcome: string) => {
      resolve(outcome);
      ws.terminate();
    };
    ws.on('unexpected-response', (_req, res) => done(String(res.statusCode)));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    ws.on('message', (data) => (JSON.parse(String(data)).type === 'connection_ack' ? done('ack') : undefined));
    ws.on('close', (code) => done(`close ${code}`));
    ws.on('error', (err) => done(err.message));
  });
}

/** A legacy socket: 'open' (with its first frame), the upgrade's status, or the close code. */
export function legacyOutcome(url: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const done = (outcome: string) => {
      resolve(outcome);
      ws.terminate();
    };
    ws.on('unexpected-response', (_req, res) => done(`HTTP ${res.statusCode}`));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type !== 'connection') done(`frame ${JSON.stringify(frame).slice(0, 200)}`);
      else setTimeout(() => done('open, greeted'), 300); // an error frame or close may follow
    });
    ws.on('close', (code, reason) => done(`close ${code} ${reason}`));
    ws.on('error', (err) => done(err.message));
  });
}

/**
 * POSTs `bytes` of body to /graphql, 1 MiB at a time, until the service answers (it should
 * before reading the body); `chunked` sends no Content-Length.
 */
export function bigPost(url: string, bytes: number, o: { chunked?: boolean; token?: string } = {}): Promise<{ status: number | string; sent_mb: number }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (!o.chunked) headers['content-length'] = String(bytes);
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    const req = http.request(`${url}/graphql`, { method: 'POST', headers });
    let sent = 0;
    let answered = false;
    const finish = (status: number | string) => {
      if (answered) return;
      answered = true;
      resolve({ status, sent_mb: Number((sent / 2 ** 20).toFixed(1)) });
      req.destroy();
    };
    req.on('response', (res) => {
      res.resume();
      finish(res.statusCode!);
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
    const chunk = Buffer.alloc(2 ** 20, 'a');
    const pump = () => {
      while (!answered && sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

/** An SSE subscription: resolves when the server ends the stream, with when and how. */
export async function sseUntilEnd(url: string, query: string, token: string): Promise<{ status: number; ended_at_ms: number; complete_event: boolean }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  const text = await res.text().catch(() => '');
  return { status: res.status, ended_at_ms: Date.now(), complete_event: text.includes('event: complete') };
}

/** An export read at `bytesPerSecond` from a raw socket; `ended` says when and how the service ended it. */
export function slowExport(port: number, path: string, token: string, bytesPerSecond: number) {
  const socket = connect(port, '127.0.0.1');
  socket.pause();
  const t0 = performance.now();
  let head = '';
  let taken = 0;
  const status = new Promise<string>((resolve) => {
    const take = () => {
      const chunk = socket.read(Math.max(1, Math.round(bytesPerSecond / 4))) as Buffer | null;
      if (chunk) {
        taken += chunk.length;
        if (head.length < 64) head += chunk.toString('latin1');
        if (/^HTTP\/1\.1 \d{3}/.test(head)) resolve(head.slice(9, 12));
      }
    };
    const timer = setInterval(take, 250); // a quarter of the rate, four times a second
    socket.once('close', () => {
      clearInterval(timer);
      resolve(head.slice(9, 12) || 'closed');
    });
  });
  const ended = new Promise<{ after_s: number; at_ms: number; bytes_read: number; how: string }>((resolve) => {
    let how = 'closed';
    socket.on('error', (err: NodeJS.ErrnoException) => (how = err.code ?? err.message));
    socket.once('close', () => resolve({ after_s: since(t0), at_ms: Date.now(), bytes_read: taken, how }));
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  // A paused socket notices a reset only when it reads from the kernel again: read on at full speed.
  const readOn = () => {
    socket.on('data', (chunk: Buffer) => (taken += chunk.length));
    socket.resume();
  };
  return { status, ended, readOn, destroy: () => socket.destroy() };
}

/** An export read as fast as the client can, until it ends: whole (complete) or cut. */
export function fullExport(url: string, token: string): Promise<{ status: number; ended_at_ms: number; bytes: number; complete: boolean }> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers: { authorization: `Bearer ${token}` } });
    req.on('error', () => resolve({ status: 0, ended_at_ms: Date.now(), bytes: 0, complete: false }));
    req.on('response', (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('error', () => {});
      res.once('close', () => resolve({ status: res.statusCode!, ended_at_ms: Date.now(), bytes, complete: res.complete }));
    });
  });
}
