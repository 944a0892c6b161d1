// Subscription results that remember the event they were made from. graphql runs each event
// through `execute` and hands on only the result, but what happens to a result afterwards
// depends on its event: the key a lagging member conflates it under (groups.ts), a log's SSE
// `id:` (sse-resume.ts), whose vehicle it is once a renewed token narrows the scope
// (session.ts), and `extensions.skipped` (SPEC §9) when the event was sent in place of older
// ones. So subscriptions run here as graphql's own `subscribe` runs them — its
// createSourceEventStream, then one `execute` per event — with the event kept on the result
// under a symbol, which JSON never sees.
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { isAsyncIterable, mapAsyncIterator, type Plugin } from 'graphql-yoga';
import { conflationSlot, logBytes, type Conflation } from '../../live/conflation.js';
import type { LogEvent } from '../../logs/event.js';

const ROOT = Symbol('the event this subscription result was made from');

type LiveResult = ExecutionResult & { [ROOT]?: unknown };

/** The event a subscription result was made from (undefined for any other result). */
export const rootOf = (r: ExecutionResult): unknown => (r as LiveResult)[ROOT];

/** `r` with `extensions.skipped` raised by `n`: a copy that keeps its event (results are shared by a group). */
export function withSkipped(r: ExecutionResult, n: number): ExecutionResult {
  const before = typeof r.extensions?.skipped === 'number' ? r.extensions.skipped : 0;
  return { ...r, extensions: { ...r.extensions, skipped: before + n } };
}

const logOf = (r: ExecutionResult) => rootOf(r) as LogEvent | undefined;

/** How a group member's results conflate: by their log's key, marked in `extensions.skipped`. */
export const RESULT_CONFLATION: Conflation<ExecutionResult> = {
  slot: (r) => {
    const e = logOf(r);
    return e ? conflationSlot(e) : undefined;
  },
  mark: withSkipped,
  carried: (r) => (typeof r.extensions?.skipped === 'number' ? r.extensions.skipped : 0),
  bytes: (r) => {
    const e = logOf(r);
    return e ? logBytes(e) : 0;
  },
};

async function resultOf(args: ExecutionArgs, event: unknown): Promise<ExecutionResult> {
  const result = await execute({ ...args, rootValue: event });
  const skipped = (event as { skipped?: unknown } | null)?.skipped;
  // execute made this result for this event alone: it may carry its event without a copy.
  const live: LiveResult = typeof skipped === 'number' && skipped > 0 ? withSkipped(result, skipped) : result;
  live[ROOT] = event;
  return live;
}

export async function subscribeWithEvents(args: ExecutionArgs) {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source; // the subscribe resolver's errors
  return mapAsyncIterator(source, (event) => resultOf(args, event));
}

/** First among the plugins: the subscribe every other plugin wraps. */
export function useLiveResults(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribeWithEvents);
    },
  };
}
