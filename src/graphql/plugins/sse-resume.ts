// SSE that a browser's EventSource resumes by itself (SPEC §9): every `next` event of a
// resumable subscription (Subscription.logs, `extensions: { resumable: true }`) carries
// `id: <log id>`, and a request with `Last-Event-ID: X` — what EventSource sends when it
// reconnects — resumes after X exactly as `after: X` (schema/live.ts reads `lastEventId`).
// yoga's SSE processor writes no `id:` field, so its output is read through a stream that adds
// one after each `event: next` line, with the ids in the order the stream yielded its results.
import type { ExecutionResult } from 'graphql';
import { getSSEProcessor, isAsyncIterable, mapAsyncIterator, type Plugin } from 'graphql-yoga';
import { rootField } from '../root-field.js';
import { rootOf } from './live-results.js';

export interface ResumeContext {
  request?: Request;
  /** The request's Last-Event-ID header: resume after this log id. */
  lastEventId?: string;
}

/** The SSE id of a resumable subscription's result: its log's id. */
function eventId(r: ExecutionResult): string | undefined {
  const id = (rootOf(r) as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

export function useSseResume(): Plugin<ResumeContext> {
  const sse = getSSEProcessor();
  // Requests whose subscription is resumable: their SSE events get ids.
  const resumable = new WeakSet<Request>();
  return {
    onContextBuilding({ context, extendContext }) {
      const id = context.request?.headers.get('last-event-id');
      if (id) extendContext({ lastEventId: id });
    },
    onSubscribe({ args }) {
      const { request } = args.contextValue;
      if (request && rootField(args)?.field.extensions?.resumable === true) resumable.add(request);
    },
    onResultProcess({ request, result, setResult, setResultProcessor }) {
      if (!resumable.has(request) || !isAsyncIterable(result)) return;
      const ids: (string | undefined)[] = [];
      setResult(
        mapAsyncIterator(result as AsyncIterable<ExecutionResult>, (r) => {
          ids.push(eventId(r));
          return r;
        }),
      );
      setResultProcessor(async (r, fetchAPI, mediaType) => withIds(await sse(r, fetchAPI, mediaType), ids, fetchAPI), 'text/event-stream');
    },
  };
}

type FetchAPI = Parameters<ReturnType<typeof getSSEProcessor>>[1];

const NEXT_EVENT = /(^|\n)event: next\n/g;

/**
 * yoga's SSE response with `id: <id>` after each `event: next` line, ids taken in order. A
 * stream that reads yoga's only when it is read itself, so the socket's backpressure reaches
 * the subscription (the fetch ponyfill's TransformStream would buffer without bound).
 */
function withIds(res: Response, ids: (string | undefined)[], fetchAPI: FetchAPI): Response {
  if (!res.body) return res;
  const reader = res.body.getReader();
  const decoder = new fetchAPI.TextDecoder();
  const encoder = new fetchAPI.TextEncoder();
  const body = new fetchAPI.ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) return controller.close();
      const text = decoder.decode(value, { stream: true }).replace(NEXT_EVENT, (line) => {
        const id = ids.shift();
        return id === undefined ? line : `${line}id: ${id}\n`;
      });
      controller.enqueue(encoder.encode(text));
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new fetchAPI.Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
