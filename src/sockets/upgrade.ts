// What the upgrade router needs of a socket server. The router checks what every socket kind
// shares (Origin, connection limits), finds the target by path, and lets the target admit the
// request (its route, token, scope) before anything is upgraded: every refusal is an HTTP status.
// Socket servers implement this; the router depends on nothing else of theirs.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export type Admission =
  | { ok: true; accept: (socket: Duplex, head: Buffer) => void }
  | { ok: false; status: number; message: string; /** For stats' refusal counts. */ reason?: string };

export interface UpgradeTarget {
  /** The paths this target serves (`/graphql`, `/api/ws…`). */
  serves(pathname: string): boolean;
  /** Route, token and scope checks before the upgrade. */
  admit(req: IncomingMessage, url: URL): Promise<Admission>;
}

/** Answers an upgrade request with an HTTP status instead of a socket. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${message}`);
}
