// Tokens (SPEC §7, §9). The application owns them: it passes a function, asked on every
// (re)connect, so a reconnect after expiry carries a fresh token. Renewing a token on an open
// socket (`renewToken`, SPEC §9) lives here and only here, so the rest of the client never
// needs to know whether the server supports it.
import type { Client } from 'graphql-ws/client';

/** The application's token: undefined when it has none (auth off, or not signed in yet). */
export type TokenSource = () => string | undefined | Promise<string | undefined>;

/** `connectionParams` as SPEC §7 names them. */
export const connectionParamsFor = (token: string | undefined): Record<string, string> =>
  token ? { authorization: `Bearer ${token}` } : {};

/**
 * The token's `exp` in ms since the epoch, read without verifying (the server verifies; the
 * client only needs to know when to renew); undefined for anything that is not a JWT with `exp`.
 */
export function tokenExpiresAt(token: string | undefined): number | undefined {
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  try {
    // atob: present in browsers and in Node 16+, so no Buffer in a browser bundle.
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** How long to wait before renewing: `renewBeforeMs` ahead of expiry, at once if that has passed. */
export function renewalDelay(token: string | undefined, renewBeforeMs: number, now = Date.now()): number | undefined {
  const expiresAt = tokenExpiresAt(token);
  return expiresAt === undefined ? undefined : Math.max(0, expiresAt - renewBeforeMs - now);
}

// Not in client/operations.ts: codegen checks those against schema.graphql, which gains
// renewToken only with the server's side of SPEC §9.
const RENEW_TOKEN = 'mutation RenewToken($token: String!) { renewToken(token: $token) { expiresAt } }';

// setTimeout holds at most 2^31-1 ms (about 24.8 days); a longer wait would fire at once.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Renews the socket's token `renewBeforeMs` before it expires, with a new one from the
 * application, over the socket itself (no reconnect, no resume). If the server refuses or lacks
 * `renewToken`, nothing else happens here: at expiry the server closes the socket (4403), and
 * the client reconnects with a fresh token and resumes, losing nothing but the round trip.
 */
export class TokenRenewal {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private expiresAt: number | undefined;

  constructor(private readonly source: TokenSource | undefined, private readonly renewBeforeMs: number | undefined) {}

  /** Called when a socket was acknowledged with `token`. */
  schedule(client: Client, token: string | undefined): void {
    this.cancel();
    this.expiresAt = tokenExpiresAt(token);
    if (!this.source || this.renewBeforeMs === undefined) return;
    const delay = renewalDelay(token, this.renewBeforeMs);
    if (delay === undefined || delay > MAX_TIMER_MS) return;
    this.timer = setTimeout(() => void this.renew(client), delay);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async renew(client: Client): Promise<void> {
    const next = await Promise.resolve(this.source?.()).catch(() => undefined);
    // The same token again (or one that expires no later) would be renewed in a loop: leave it
    // to expire, and the reconnect to ask again.
    if (!next || (tokenExpiresAt(next) ?? 0) <= (this.expiresAt ?? 0)) return;
    const dispose = client.subscribe<{ renewToken: { expiresAt: string } }>(
      { query: RENEW_TOKEN, variables: { token: next } },
      {
        next: ({ data }) => {
          if (data?.renewToken) this.schedule(client, next);
        },
        error: () => dispose(),
        complete: () => {},
      },
    );
  }
}
