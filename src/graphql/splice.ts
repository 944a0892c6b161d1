// graphql-ws `next` frames for the members of a subscription group (groups.ts), without
// graphql-ws's per-subscriber work. Every member of a group gets the same result object, and
// graphql-ws would JSON-serialise it once per member and walk each one through its own chain of
// promises (envelop's wrappers, emit.next, a send that waits for the write). Here the result is
// serialised once — the bytes cached by the result object — and each member's frame is its
// subscription id's prefix spliced in front of them, written to the socket as the group's
// pump hands the result over. The bytes are those of graphql-ws's own stringifyMessage.
//
// A result that plugins would still change per member is declined and goes graphql-ws's way:
// one with `errors` (yoga masks them in an onSubscribeResult hook, and logs the cause). The
// member then stays on that way, so that its frames keep their order.
import type { ExecutionResult } from 'graphql';
import { noteSocketWrite } from '../metrics.js';
import { rootOf } from './plugins/live-results.js';

/** What the fast lane needs of a `ws` WebSocket. */
export interface FrameSocket {
  readonly readyState: number;
  readonly OPEN: number;
  send(data: Buffer, options: { binary: boolean }): void;
}

/** Takes a result (true) or declines it (false: deliver it through graphql-ws). */
export type ResultSink = (result: ExecutionResult) => boolean;

const payloads = new WeakMap<ExecutionResult, Buffer>();
const CLOSE = Buffer.from('}');

/** graphql-ws's `next` payload for `result` as UTF-8 JSON, serialised once per result object. */
export function payloadBytes(result: ExecutionResult): Buffer {
  let bytes = payloads.get(result);
  if (bytes === undefined) {
    // graphql-ws's emit.next: the result's own keys in order, `errors` (as toJSON) last.
    const { errors, ...rest } = result;
    bytes = Buffer.from(JSON.stringify(errors ? { ...rest, errors: errors.map((e) => e.toJSON()) } : rest));
    payloads.set(result, bytes);
  }
  return bytes;
}

/** The constant head of subscription `id`'s next frames: `{"id":…,"type":"next","payload":`. */
export const nextPrefix = (id: string): Buffer => Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);

/** The whole `next` frame: byte-identical to stringifyMessage({ id, type: 'next', payload }). */
export function nextFrame(prefix: Buffer, result: ExecutionResult): Buffer {
  const payload = payloadBytes(result);
  return Buffer.concat([prefix, payload, CLOSE], prefix.length + payload.length + 1);
}

/** The fast lane of a graphql-ws operation (server.ts puts its socket and id in the context); none over SSE. */
export const operationSink = (ctx: { wsSocket?: FrameSocket; wsOperationId?: string }): ResultSink | undefined =>
  ctx.wsSocket && ctx.wsOperationId !== undefined ? nextFrameSink(ctx.wsSocket, ctx.wsOperationId) : undefined;

/** The fast lane for subscription `id` on `socket`: frames written as text, with no callback to wait for. */
export function nextFrameSink(socket: FrameSocket, id: string): ResultSink {
  const prefix = nextPrefix(id);
  return (result) => {
    if (result.errors !== undefined) return false;
    // graphql-ws's own send skips a socket that is closing; its close ends the member.
    if (socket.readyState === socket.OPEN) {
      socket.send(nextFrame(prefix, result), { binary: false });
      noteSocketWrite('graphql_ws', rootOf(result));
    }
    return true;
  };
}
