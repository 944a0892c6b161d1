// The one upgrade router. It checks what every socket kind shares — the browser's Origin, a
// connection slot for the client's address — finds the target serving the path and lets it
// admit the request (route, token, scope) before anything is upgraded: every refusal is an HTTP
// status. It knows the socket servers only as UpgradeTargets.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { originAllowed } from '../auth/origins.js';
import type { SocketGuard } from '../sockets/limits.js';
import { refuseUpgrade, type Admission, type UpgradeTarget } from '../sockets/upgrade.js';
import type { Logger } from '../logger.js';
import { statusOf } from './errors.js';

export { refuseUpgrade };

const REFUSAL_REASON: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden' };

export interface UpgradeRouterOptions {
  targets: readonly UpgradeTarget[];
  guard: SocketGuard;
  allowedOrigins?: readonly string[];
  /** Counts refusals for stats, by reason. */
  onRefused: (reason: string) => void;
  logger: Pick<Logger, 'error'>;
}

export function createUpgradeRouter(o: UpgradeRouterOptions) {
  const refuse = (socket: Duplex, status: number, message: string, reason = REFUSAL_REASON[status] ?? 'bad_request') => {
    o.onRefused(reason);
    refuseUpgrade(socket, status, message);
  };
  return async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!originAllowed(o.allowedOrigins, req.headers.origin)) return refuse(socket, 403, 'origin not allowed', 'origin');
    const target = o.targets.find((t) => t.serves(url.pathname));
    if (!target) return refuse(socket, 404, 'Not Found');
    const slot = o.guard.admit(req);
    if (!slot.ok) return refuse(socket, slot.status, slot.message, slot.reason);
    socket.once('close', slot.release);
    const admission = await admit(target, req, url, o.logger);
    if (socket.destroyed) return; // the client left while its token was checked
    if (!admission.ok) return refuse(socket, admission.status, admission.message, admission.reason);
    admission.accept(socket, head);
  };
}

/** The target's verdict; a target that throws (an AuthError, a database down) refuses with that error's status. */
async function admit(target: UpgradeTarget, req: IncomingMessage, url: URL, logger: UpgradeRouterOptions['logger']): Promise<Admission> {
  try {
    return await target.admit(req, url);
  } catch (err) {
    const status = statusOf(err);
    if (status === 500) logger.error({ err, path: url.pathname }, 'upgrade failed');
    return { ok: false, status, message: status === 500 ? 'internal error' : (err as Error).message };
  }
}
