// A typed React hook over the service's GraphQL subscription `logs` (graphql-ws), the typed
// successor of the original seed's `useSeanoWebSocket`. It reconnects forever and resumes from
// the last log id it delivered, so a dropped connection costs neither a gap nor a duplicate
// (README: "Resuming after a reconnect").
import { useEffect, useRef, useState } from 'react';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { LogsSubscription } from '../../client/operations.js';
import type {
  LiveLogsSubscription,
  LiveLogsSubscriptionVariables,
  LogType,
} from '../../client/generated/graphql.js';

/** One log as the subscription delivers it: a union discriminated by `__typename`. */
export type SeanoLog = LiveLogsSubscription['logs'];
export type SeanoStatus = 'connecting' | 'connected' | 'reconnecting';

export interface UseSeanoLogsOptions {
  /** graphql-ws endpoint, e.g. `ws://localhost:8000/graphql`. */
  url: string;
  /** Only this vessel's logs; all vessels when absent. */
  vehicleId?: number;
  /** Only these log types; all types when absent. */
  types?: readonly LogType[];
  /** How many logs to keep (newest first). Default 200. */
  limit?: number;
}

export interface UseSeanoLogs {
  isConnected: boolean;
  status: SeanoStatus;
  /** The last `limit` logs, newest first. */
  logs: SeanoLog[];
  /** Id of the newest log received (the resume cursor), if any. */
  lastId: string | undefined;
  /** The last error a subscription ended with (it is resumed by itself), if any. */
  error: unknown;
}

// The document is typed by codegen; this line fails to compile if the generated result or
// variable types stop matching the document the hook sends.
const document: TypedDocumentNode<LiveLogsSubscription, LiveLogsSubscriptionVariables> = LogsSubscription;
const query = print(document);

const DEFAULT_LIMIT = 200;
const RESUBSCRIBE_MIN_MS = 1_000;
const RESUBSCRIBE_MAX_MS = 30_000;

export function useSeanoLogs({ url, vehicleId, types, limit = DEFAULT_LIMIT }: UseSeanoLogsOptions): UseSeanoLogs {
  const [status, setStatus] = useState<SeanoStatus>('connecting');
  const [logs, setLogs] = useState<SeanoLog[]>([]);
  const [lastId, setLastId] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);

  // Read at delivery time, so changing `limit` does not reconnect.
  const limitRef = useRef(limit);
  limitRef.current = limit;

  // A new array on every render must not restart the subscription: depend on its contents.
  const typesKey = types ? [...types].sort().join(',') : '';

  useEffect(() => {
    const typeFilter = typesKey ? (typesKey.split(',') as LogType[]) : undefined;
    let stopped = false;
    let everConnected = false;
    let lastSeen: string | undefined; // the resume cursor: id of the newest log delivered
    let current: (() => void) | undefined; // disposes the live subscription
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let retryDelay = RESUBSCRIBE_MIN_MS;

    setStatus('connecting');
    setLogs([]);
    setLastId(undefined);
    setError(undefined);

    const client = createClient({
      url,
      retryAttempts: Infinity,
      shouldRetry: () => true, // an operator's screen should come back by itself, whatever broke
    });

    const stopSubscription = () => {
      const dispose = current;
      current = undefined; // first, so the sink of the one being disposed knows it is stale
      clearTimeout(retryTimer);
      dispose?.();
    };

    const subscribe = () => {
      stopSubscription();
      const variables: LiveLogsSubscriptionVariables = { vehicleId, types: typeFilter, after: lastSeen };
      // The subscription ended on its own (the server completed it, or ended a subscriber that
      // fell too far behind): start again from the last id seen, with a growing pause.
      const ended = (err: unknown) => {
        if (stopped || current !== dispose) return; // disposed by us: nothing to do
        current = undefined;
        if (err !== undefined) setError(err);
        retryTimer = setTimeout(() => {
          if (!stopped && !current) subscribe();
        }, retryDelay);
        retryDelay = Math.min(retryDelay * 2, RESUBSCRIBE_MAX_MS);
      };
      const dispose = client.subscribe<LiveLogsSubscription>(
        { query, variables },
        {
          next: ({ data, errors }) => {
            if (stopped || current !== dispose) return;
            if (errors?.length) setError(errors);
            if (!data) return;
            const log = data.logs;
            // Ids grow with every stored log; an id at or below the cursor was already delivered.
            if (lastSeen !== undefined && BigInt(log.id) <= BigInt(lastSeen)) return;
            lastSeen = log.id;
            retryDelay = RESUBSCRIBE_MIN_MS;
            setLastId(log.id);
            setLogs((prev) => [log, ...prev].slice(0, limitRef.current));
          },
          error: (err) => ended(err),
          complete: () => ended(undefined),
        },
      );
      current = dispose;
    };

    const unlisten = [
      client.on('connecting', () => {
        if (!stopped) setStatus(everConnected ? 'reconnecting' : 'connecting');
      }),
      client.on('connected', (_socket, _payload, wasRetry) => {
        if (stopped) return;
        everConnected = true;
        setStatus('connected');
        // graphql-ws re-sends a subscription with its first variables after a reconnect:
        // start again from the last id seen instead.
        if (wasRetry) subscribe();
      }),
      client.on('closed', () => {
        if (!stopped) setStatus(everConnected ? 'reconnecting' : 'connecting');
      }),
    ];

    subscribe();

    return () => {
      stopped = true;
      unlisten.forEach((off) => off());
      stopSubscription();
      void client.dispose();
    };
  }, [url, vehicleId, typesKey]);

  return { isConnected: status === 'connected', status, logs, lastId, error };
}
