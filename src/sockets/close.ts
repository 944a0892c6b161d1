import type { WebSocket, WebSocketServer } from 'ws';
import type { CloseCode } from './close-codes.js';

// ws waits 30 s for the peer's half of the close handshake; a peer that stopped reading (a slow
// consumer, a silent socket) would hold its connection slot all that time.
const GRACE_MS = 1_000;

/** Closes with `code` and terminates the socket if the close handshake has not finished within a second. */
export function closeSocket(ws: WebSocket, code: CloseCode, reason: string): Promise<void> {
  return new Promise<void>((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    const timer = setTimeout(() => ws.terminate(), GRACE_MS);
    timer.unref();
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(code, reason);
  });
}

/** Closes every socket of `wss` with `code` and waits for them, so a stop never hangs. */
export async function closeAll(wss: WebSocketServer, code: CloseCode, reason: string): Promise<void> {
  await Promise.all([...wss.clients].map((ws) => closeSocket(ws, code, reason)));
}
