// One operation of the application, across any number of sockets. graphql-ws runs it on one
// socket at a time; when that socket closes it is stopped, and on the next one it starts again —
// a log stream with `after` = the last id it delivered, so nothing is missed, and every id at or
// below that dropped, so nothing is repeated.
import { print, type DocumentNode, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { Client, Sink } from 'graphql-ws/client';
import { logIdOf, operationShape, ResumeCursor, type OperationShape } from './cursor.js';
import type { CloseInfo } from './connection.js';

export interface OperationRequest {
  query: string | DocumentNode;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

export type ResultSink = Sink<FormattedExecutionResult<any, any>>;

/**
 * Errors the server answers an operation with that will not change by asking again (a vessel
 * outside the token's scope, a bad argument, a query the schema does not have): the application
 * must hear about them. Any other error ending a log stream (the server shedding a subscriber
 * that fell behind, an internal error) is resumed from the cursor.
 */
const FINAL_CODES = new Set([
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'TOO_MANY_SUBSCRIPTIONS',
]);

function isFinal(err: unknown): boolean {
  if (!Array.isArray(err)) return true; // not the server's answer: a failure of the client itself
  return (err as GraphQLFormattedError[]).some((e) => FINAL_CODES.has(String(e.extensions?.code)));
}

const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;

export class LiveOperation {
  private readonly query: string;
  private readonly shape: OperationShape;
  private readonly cursor: ResumeCursor | undefined;
  private running: (() => void) | undefined; // disposes its graphql-ws operation on this socket
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private restarts = 0; // in a row, without a result between them
  private ended = false;

  constructor(
    private readonly request: OperationRequest,
    private readonly sink: ResultSink,
    private readonly host: { connected(): Client | undefined; ended(op: LiveOperation): void },
  ) {
    this.query = typeof request.query === 'string' ? request.query : print(request.query);
    this.shape = operationShape(request.query);
    const after = request.variables?.after;
    this.cursor = this.shape.resumable ? new ResumeCursor(after == null ? undefined : String(after)) : undefined;
  }

  /** Runs on `client`'s socket, from the cursor. */
  start(client: Client): void {
    if (this.ended) return;
    this.stopRunning();
    const after = this.cursor?.after;
    const variables = after === undefined ? this.request.variables : { ...this.request.variables, after };
    const dispose: () => void = client.subscribe({ ...this.request, query: this.query, variables }, {
      next: (result) => this.running === dispose && this.deliver(result),
      error: (err) => this.running === dispose && this.interrupted(err),
      complete: () => this.running === dispose && this.interrupted(undefined),
    });
    this.running = dispose;
  }

  /** The socket closed: graphql-ws must not re-send this operation with its old variables. */
  pause(close: CloseInfo | undefined): void {
    this.stopRunning();
    // A mutation may have taken effect: sending it again is not ours to decide.
    if (this.shape.kind === 'mutation') this.end(() => this.sink.error(close ?? new Error('socket closed')));
  }

  /** Ended by the application. */
  dispose(): void {
    this.end(() => {});
  }

  /** Ended by the client's dispose: the application hears a completion. */
  complete(): void {
    this.end(() => this.sink.complete());
  }

  /** Ended because nothing will reconnect. */
  fail(reason: unknown): void {
    this.end(() => this.sink.error(reason));
  }

  private deliver(result: FormattedExecutionResult<any, any>): void {
    const id = this.cursor && logIdOf(result.data);
    if (id !== undefined && !this.cursor!.advance(id)) return; // had it already
    this.restarts = 0;
    this.sink.next(result);
  }

  /** The server ended the operation on a socket that stays open. */
  private interrupted(err: unknown): void {
    this.running = undefined;
    // A log stream never ends by itself: the server stopped it (shutting down, shedding a
    // subscriber that fell behind), so it goes on from the cursor after a growing pause.
    if (this.cursor && (err === undefined || !isFinal(err))) return this.restartLater();
    this.end(() => (err === undefined ? this.sink.complete() : this.sink.error(err)));
  }

  private restartLater(): void {
    const delay = Math.min(RESTART_MIN_MS * 2 ** this.restarts++, RESTART_MAX_MS);
    this.restartTimer = setTimeout(() => {
      const client = this.host.connected();
      if (client) this.start(client); // else the next socket starts it
    }, delay);
  }

  private stopRunning(): void {
    clearTimeout(this.restartTimer);
    const dispose = this.running;
    this.running = undefined; // first: the sink of the one disposed now is no longer heard
    dispose?.();
  }

  private end(notify: () => void): void {
    if (this.ended) return;
    this.ended = true;
    this.stopRunning();
    this.host.ended(this);
    notify();
  }
}
