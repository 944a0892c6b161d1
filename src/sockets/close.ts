import type { WebSocket, WebSocketServer } from 'ws';

const GRACE_MS = 1_000;

/**
 * Closes every socket with `code` and waits for them; a peer that does not finish the close
 * handshake within a second (stopped reading, or gone) is terminated, so a stop never hangs.
 */
export async function closeAll(wss: WebSocketServer, code: number, reason: string): Promise<void> {
  const sockets = [...wss.clients] as WebSocket[];
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) return resolve();
          const timer = setTimeout(() => ws.terminate(), GRACE_MS);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          ws.close(code, reason);
        }),
    ),
  );
}
