// A graphql-ws socket's token for as long as the socket lives. `renewToken` sent on the socket
// (SPEC §9) moves it: a later expiry, and a new scope for every operation already running —
// one that follows a vehicle now out of scope ends with FORBIDDEN, the others go on and are no
// longer sent what the new scope leaves out. The socket is closed (4403) when the token in force
// expires.
import { GraphQLError, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { allows, AuthError, onExpiry, type Authenticator, type Principal } from '../auth/tokens.js';
import { rootOf } from './plugins/live-results.js';
import { rootField, vehicleIdsOf } from './root-field.js';

interface Operation {
  /** The vehicles its arguments name. */
  vehicleIds: readonly number[];
  revoke(error: GraphQLError): void;
}

const forbidden = (vehicleId: number) =>
  new GraphQLError(`vehicle ${vehicleId} is outside the renewed token's scope`, { extensions: { code: 'FORBIDDEN' } });

/** The vehicle a result is about (its event's `vehicleId`), if it is about one. */
function vehicleOf(r: ExecutionResult): number | undefined {
  const v = (rootOf(r) as { vehicleId?: unknown } | undefined)?.vehicleId;
  return typeof v === 'number' ? v : undefined;
}

export class SocketSession {
  private cancelExpiry: () => void;
  private readonly operations = new Set<Operation>();

  constructor(
    private current: Principal,
    private readonly expired: () => void,
    /** Told of each renewal (the socket's entry in stats). */
    private readonly renewed: (p: Principal) => void = () => {},
  ) {
    this.cancelExpiry = onExpiry(current, expired);
  }

  get principal(): Principal {
    return this.current;
  }

  get scope(): readonly number[] | undefined {
    return this.current.scope;
  }

  renew(principal: Principal): void {
    this.current = principal;
    this.cancelExpiry();
    this.cancelExpiry = onExpiry(principal, this.expired);
    this.renewed(principal);
    for (const op of [...this.operations]) {
      const outside = op.vehicleIds.find((id) => !allows(principal.scope, id));
      if (outside !== undefined) op.revoke(forbidden(outside));
    }
  }

  /** Whether a result may still be sent on this socket: about no vehicle, or one in scope. */
  readonly admits = (r: ExecutionResult): boolean => {
    const v = vehicleOf(r);
    return v === undefined || allows(this.current.scope, v);
  };

  /** `stream` under this session: ended with FORBIDDEN by a renewal that leaves one of `vehicleIds` out, filtered by the scope in force. */
  track<T extends ExecutionResult>(stream: AsyncIterable<T>, vehicleIds: readonly number[]): AsyncGenerator<T, void, void> {
    const it = stream[Symbol.asyncIterator]();
    let revoke!: (error: GraphQLError) => void;
    const revoked = new Promise<never>((_, reject) => (revoke = reject));
    revoked.catch(() => {}); // raced in next(); unobserved when the operation is never revoked
    const op: Operation = { vehicleIds, revoke: (error) => (revoke(error), void finish()) };
    let finished = false;
    const finish = async () => {
      this.operations.delete(op);
      if (finished) return;
      finished = true;
      await it.return?.();
    };
    this.operations.add(op);
    const tracked: AsyncGenerator<T, void, void> = {
      next: async () => {
        for (;;) {
          const r = await Promise.race([it.next(), revoked]).catch(async (error: unknown) => {
            await finish();
            throw error;
          });
          if (r.done) {
            this.operations.delete(op);
            return { value: undefined, done: true };
          }
          if (this.admits(r.value)) return r;
        }
      },
      return: async () => {
        await finish();
        return { value: undefined, done: true };
      },
      throw: async (error: unknown) => {
        await finish();
        throw error;
      },
      [Symbol.asyncIterator]: () => tracked,
    };
    return tracked;
  }

  /** The socket closed. */
  end(): void {
    this.cancelExpiry();
    this.operations.clear();
  }
}

/** Every subscription on a graphql-ws socket runs under its session (a context's `session`). */
export function useSocketSessions(): Plugin<{ session?: SocketSession }> {
  return {
    onSubscribe({ args }) {
      const { session } = args.contextValue;
      if (!session) return;
      const root = rootField(args);
      const vehicleIds = root ? vehicleIdsOf(root) : [];
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(session.track(result, vehicleIds));
        },
      };
    },
  };
}

/** renewToken on a socket: its session moves to the token; an invalid one is refused (`refuse` closes the socket, 4403). */
export async function renewOnSocket(auth: Authenticator, session: SocketSession, token: string, refuse: (why: string) => void): Promise<Principal> {
  try {
    const principal = await auth.verify(token);
    session.renew(principal);
    return principal;
  } catch (err) {
    refuse(err instanceof AuthError ? err.message.slice(0, 120) : 'invalid token');
    throw err;
  }
}

/** renewToken over HTTP: only checks the token. */
export async function checkToken(auth: Authenticator, token: string): Promise<Principal> {
  try {
    return await auth.verify(token);
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    throw new GraphQLError(err.message, { extensions: { code: 'UNAUTHENTICATED' } });
  }
}
