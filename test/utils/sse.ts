// A GraphQL-over-SSE client on a plain HTTP request, so a test can stop reading it (pause the
// response: the socket's buffers fill and the server's writes back up) and read the SSE fields
// a browser's EventSource reads (`event`, `id`, `data`). A leftover: destroyed after its suite.
import { request, type IncomingMessage } from 'node:http';
import { Collector } from './clients.js';
import { leave } from './leftovers.js';

export interface SseEvent {
  event?: string;
  id?: string;
  data: string;
}

export interface SseStream {
  /** Every event with a `data` field, in arrival order (comments and pings are not events). */
  events: Collector<SseEvent>;
  /** The `data` of the `next` events, parsed. */
  results: Collector<any>;
  /** Resolves once the response ended (completed, or cut by the server). */
  ended: Promise<void>;
  response: IncomingMessage;
  pause(): void;
  resume(): void;
  close(): void;
}

/** POSTs `query` with accept: text/event-stream; resolves once the response's headers are in. `onResult` sees each `next` result as it arrives. */
export function openSse(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  onResult: (result: any) => void = () => {},
): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers } });
    leave(() => void req.destroy());
    req.on('error', reject);
    req.on('response', (response) => {
      if (response.statusCode !== 200) return reject(new Error(`SSE answered ${response.statusCode}`));
      const events = new Collector<SseEvent>();
      const results = new Collector<any>();
      let buffered = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        const blocks = buffered.split('\n\n');
        buffered = blocks.pop()!;
        for (const block of blocks) {
          const e = parseEvent(block);
          if (!e) continue;
          events.push(e);
          if (e.event !== 'next') continue;
          const result = JSON.parse(e.data);
          results.push(result);
          onResult(result);
        }
      });
      const ended = new Promise<void>((r) => (response.once('end', r), response.once('close', r), response.once('error', () => r())));
      resolve({ events, results, ended, response, pause: () => response.pause(), resume: () => response.resume(), close: () => req.destroy() });
    });
    req.end(JSON.stringify({ query, variables }));
  });
}

function parseEvent(block: string): SseEvent | undefined {
  const e: Partial<SseEvent> = {};
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // a comment (the server's pings) or an empty line
    const field = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event' || field === 'id') e[field] = value;
    else if (field === 'data') e.data = e.data === undefined ? value : `${e.data}\n${value}`;
  }
  return e.data === undefined ? undefined : (e as SseEvent);
}
