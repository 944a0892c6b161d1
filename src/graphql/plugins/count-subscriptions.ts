// Every subscription stream counted in one place, whatever carries it (graphql-ws or SSE), and
// the rules an SSE stream needs because it has no socket of its own:
// - a subscription over HTTP that cannot be answered as a stream (no `accept: text/event-stream`,
//   which yoga would answer 406 after subscribing) is refused before anything is registered —
//   20,000 such POSTs used to leave 20,000 live subscriptions behind (issue 12);
// - an SSE stream takes a connection slot (WS_MAX_CONNECTIONS, WS_MAX_CONNECTIONS_PER_IP) like
//   a WebSocket, released when it ends;
// - an SSE stream ends when its token expires (graphql-ws closes the whole socket with 4403).
import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { onExpiry } from '../../auth/tokens.js';
import { SlowConsumerError } from '../../live/backpressure.js';
import type { SocketGuard } from '../../sockets/limits.js';
import type { ConnectionRegistry } from '../../stats.js';

/** What the plugin reads of the context: yoga's request parts and ours. */
export interface CountedContext {
  transport: 'http' | 'ws';
  expiresAt: number;
  /** The Fetch request (HTTP only). */
  request?: Request;
  /** The Node request, for the connection limits (HTTP only). */
  req?: IncomingMessage;
}

export interface SubscriptionCounting {
  registry: ConnectionRegistry;
  guard: Pick<SocketGuard, 'admit'>;
}

export function useCountSubscriptions(o: SubscriptionCounting): Plugin<CountedContext> {
  return {
    onSubscribe({ args, setResultAndStopExecution, subscribeFn, setSubscribeFn }) {
      const ctx = args.contextValue;
      let release = () => {};
      if (ctx.transport === 'http') {
        const admitted = admitEventStream(ctx, o);
        if (!admitted.ok) return setResultAndStopExecution({ errors: [admitted.error] });
        release = admitted.release;
        // A subscribe that throws never reaches onSubscribeResult: give the slot back here.
        setSubscribeFn(async (a) => {
          try {
            return await subscribeFn(a);
          } catch (err) {
            release();
            throw err;
          }
        });
      }
      return {
        onSubscribeResult({ result, setResult }) {
          if (!(Symbol.asyncIterator in result)) return release(); // an error result: nothing runs
          o.registry.activeSubscriptions++;
          const cancelExpiry = ctx.transport === 'http' ? onExpiry(ctx, () => void tracked.return()) : () => {};
          const tracked = onceEnded(result, (error) => {
            o.registry.activeSubscriptions--;
            if (error instanceof SlowConsumerError && !error.counted) o.registry.slowConsumers++; // a queue without counters
            cancelExpiry();
            release();
          });
          setResult(tracked);
        },
      };
    },
  };
}

type Admitted = { ok: true; release: () => void } | { ok: false; error: GraphQLError };

function admitEventStream(ctx: CountedContext, o: SubscriptionCounting): Admitted {
  if (ctx.request && !acceptsEventStream(ctx.request.headers.get('accept'))) {
    o.registry.refused('subscription_not_acceptable');
    return refusal(406, 'NOT_ACCEPTABLE', 'a subscription over HTTP is a stream: send accept: text/event-stream (or use graphql-ws)');
  }
  if (!ctx.req) return { ok: true, release: () => {} };
  const slot = o.guard.admit(ctx.req);
  if (slot.ok) return slot;
  o.registry.refused(slot.reason);
  return refusal(slot.status, 'TOO_MANY_CONNECTIONS', slot.message);
}

const refusal = (status: number, code: string, message: string): Admitted => ({
  ok: false,
  error: new GraphQLError(message, { extensions: { code, http: { status } } }),
});

/**
 * Whether yoga would answer a subscription as SSE: some accepted media type (utf-8, the default
 * charset) matches text/event-stream, wildcards included; no header means *\/*. yoga's own
 * matcher (plugins/result-processor/accept.js) is not exported.
 */
export function acceptsEventStream(accept: string | null): boolean {
  return (accept || '*/*')
    .replace(/\s/g, '')
    .toLowerCase()
    .split(',')
    .some((entry) => {
      const [mediaType = '', ...params] = entry.split(';');
      const charset = params.find((p) => p.includes('charset='));
      if (charset !== undefined && charset !== 'charset=utf-8') return false;
      const [type, subtype] = mediaType.split('/');
      return (type === '*' || type === 'text') && (subtype === '*' || subtype === 'event-stream');
    });
}

/** `source`, calling `onEnd` exactly once however it ends: done, an error (passed to it), or return(). */
export function onceEnded<T>(source: AsyncIterable<T>, onEnd: (error?: unknown) => void): AsyncGenerator<T, void, void> {
  const it = source[Symbol.asyncIterator]();
  let ended = false;
  const end = (error?: unknown) => {
    if (ended) return;
    ended = true;
    onEnd(error);
  };
  const tracked: AsyncGenerator<T, void, void> = {
    async next() {
      try {
        const r = await it.next();
        if (r.done) end();
        return r.done ? { value: undefined, done: true } : r;
      } catch (error) {
        end(error);
        throw error;
      }
    },
    async return() {
      end();
      await it.return?.();
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      end(error);
      await it.return?.();
      throw error;
    },
    [Symbol.asyncIterator]: () => tracked,
  };
  return tracked;
}
