// JWT auth (SPEC §7): HS256 with `exp`; an optional `vehicles: [int]` claim limits what the
// holder sees. Verified with jose; nothing here parses JWTs by hand.
import { errors, jwtVerify } from 'jose';
import { MAX_VEHICLE_ID } from '../logs/params.js';

export interface Principal {
  /** Vehicles this caller may see; undefined = all. */
  scope?: readonly number[];
  /** When the token stops being valid (ms since epoch); sockets are closed then. */
  expiresAt: number;
  /** The token's `sub` claim, when it has one: who holds it, for per-client limits. */
  subject?: string;
}

export class AuthError extends Error {
  constructor(
    message: string,
    /** 401: no or bad token; 403: valid token, not allowed. */
    readonly status: 401 | 403 = 401,
  ) {
    super(message);
  }
}

export interface Authenticator {
  enabled: boolean;
  /** Resolves the principal for a bearer token (or throws AuthError). With auth off: everyone, all vehicles. */
  verify(token: string | undefined): Promise<Principal>;
}

const NEVER = Number.MAX_SAFE_INTEGER;

/** Claims every token must carry when the settings name them (AUTH_JWT_AUDIENCE / AUTH_JWT_ISSUER). */
export interface ExpectedClaims {
  audience?: string;
  issuer?: string;
}

export function createAuthenticator(secret: string | undefined, expected: ExpectedClaims = {}): Authenticator {
  if (!secret) return { enabled: false, verify: async () => ({ expiresAt: NEVER }) };
  const key = new TextEncoder().encode(secret);
  const options = { algorithms: ['HS256'], requiredClaims: ['exp'], audience: expected.audience, issuer: expected.issuer };
  return {
    enabled: true,
    async verify(token) {
      if (!token) throw new AuthError('missing token');
      try {
        const { payload } = await jwtVerify(token, key, options);
        return { scope: readScope(payload.vehicles), expiresAt: (payload.exp as number) * 1000, subject: typeof payload.sub === 'string' ? payload.sub : undefined };
      } catch (err) {
        if (err instanceof AuthError) throw err;
        if (err instanceof errors.JWTExpired) throw new AuthError('token expired');
        // Which claim failed (aud, iss, nbf) helps the holder; it tells nothing about the key.
        if (err instanceof errors.JWTClaimValidationFailed) throw new AuthError(`invalid token: ${err.message}`);
        throw new AuthError('invalid token');
      }
    },
  };
}

/** The `vehicles` claim: absent = all; otherwise vehicle ids only, so no query ever sees an id out of range. */
function readScope(vehicles: unknown): number[] | undefined {
  if (vehicles === undefined) return undefined;
  if (Array.isArray(vehicles) && vehicles.every((v) => Number.isInteger(v) && v >= 1 && v <= MAX_VEHICLE_ID)) return vehicles as number[];
  throw new AuthError(`invalid token: claim "vehicles" must be a list of vehicle ids 1..${MAX_VEHICLE_ID}`);
}

/** `Bearer abc` → `abc`. */
export function bearer(header: string | null | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

/** When the principal's token expires; null when it never does (auth off). */
export function expiryOf(p: Principal): Date | null {
  return p.expiresAt >= NEVER ? null : new Date(p.expiresAt);
}

/** Runs `onExpire` when the principal's token expires (never for auth off). Returns a cancel. */
export function onExpiry(p: Principal, onExpire: () => void): () => void {
  const ms = p.expiresAt - Date.now();
  if (p.expiresAt >= NEVER) return () => {};
  const timer = setTimeout(onExpire, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
  timer.unref();
  return () => clearTimeout(timer);
}

export function allows(scope: readonly number[] | undefined, vehicleId: number): boolean {
  return scope === undefined || scope.includes(vehicleId);
}
