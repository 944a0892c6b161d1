// The SEANO client: graphql-ws underneath, with every subscription resumed after a reconnect from
// the last log id it delivered, and duplicates dropped (issue 14, SPEC §4 and §9). Runs in
// browsers and on Node 20 (pass `webSocketImpl: WebSocket` from 'ws'). client/apollo.ts and
// client/urql.ts put Apollo Client and urql over this same core.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { FormattedExecutionResult } from 'graphql';
import type { Client, Sink } from 'graphql-ws/client';
import { Connection, type CloseInfo, type ConnectionOptions, type ConnectionState } from './connection.js';
import { LiveOperation, type OperationRequest, type ResultSink } from './operation.js';

export type { CloseInfo, ConnectionOptions as SeanoClientOptions, ConnectionState, OperationRequest };
export type { TokenSource } from './token.js';
export { ResumeCursor } from './cursor.js';

export interface SeanoClient {
  /**
   * Runs a typed operation until disposed. A log stream (a document declaring `$after`) comes
   * back after every reconnect from the last log it delivered: each log once, in id order.
   * Returns the dispose function.
   */
  subscribe<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    sink: Sink<FormattedExecutionResult<TData>>,
  ): () => void;
  /** The same for an untyped request (what the Apollo link and the urql exchange hand over). */
  request(request: OperationRequest, sink: ResultSink): () => void;
  readonly state: ConnectionState;
  /** Listens to state changes; returns the function that stops listening. */
  onState(listener: (state: ConnectionState, close?: CloseInfo) => void): () => void;
  /** Drops the socket as a lost network would (tests, a "reconnect now" button); it comes back. */
  terminate(): void;
  /** Ends every operation (their sinks complete) and closes the socket. */
  dispose(): void;
}

export function createSeanoClient(options: ConnectionOptions): SeanoClient {
  const operations = new Set<LiveOperation>();
  const listeners = new Set<(state: ConnectionState, close?: CloseInfo) => void>();

  const connection: Connection = new Connection(
    {
      ...options,
      onState: (state, close) => {
        options.onState?.(state, close);
        for (const listener of [...listeners]) listener(state, close);
      },
    },
    {
      connected: (client: Client) => operations.forEach((op) => op.start(client)),
      closed: (close) => [...operations].forEach((op) => op.pause(close)),
      stopped: (reason) => [...operations].forEach((op) => op.fail(reason)),
    },
  );

  const host = {
    connected: () => connection.connected,
    ended: (op: LiveOperation) => {
      operations.delete(op);
      // No operation left: no socket either (it opens again with the next one).
      if (operations.size === 0) connection.stop();
    },
  };

  const request = (req: OperationRequest, sink: ResultSink): (() => void) => {
    const op = new LiveOperation(req, sink, host);
    operations.add(op);
    connection.start();
    const client = connection.connected;
    if (client) op.start(client);
    return () => op.dispose();
  };

  return {
    subscribe: (document, variables, sink) => request({ query: document, variables }, sink as ResultSink),
    request,
    get state() {
      return connection.state;
    },
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    terminate: () => connection.terminate(),
    dispose() {
      [...operations].forEach((op) => op.complete());
      connection.stop();
    },
  };
}
