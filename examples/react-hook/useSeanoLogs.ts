// A typed React hook over the service's GraphQL subscription `logs`, the typed successor of the
// original seed's `useSeanoWebSocket`. The SEANO client (client/) does the hard part: it
// reconnects forever and resumes from the last log id it delivered, dropping what the hook
// already has, so a dropped connection or a service restart costs neither a gap nor a duplicate.
import { useEffect, useRef, useState } from 'react';
import { createSeanoClient, type ConnectionState, type TokenSource } from '../../client/index.js';
import { LogsSubscription } from '../../client/operations.js';
import type { LiveLogsSubscription, LogType } from '../../client/generated/graphql.js';

/** One log as the subscription delivers it: a union discriminated by `__typename`. */
export type SeanoLog = LiveLogsSubscription['logs'];
/** 'stopped' only when `shouldRetry` is given and said no; by default the hook never gives up. */
export type SeanoStatus = ConnectionState;

export interface UseSeanoLogsOptions {
  /** graphql-ws endpoint, e.g. `ws://localhost:8000/graphql`. */
  url: string;
  /** Only this vessel's logs; all vessels when absent. */
  vehicleId?: number;
  /** Only these log types; all types when absent. */
  types?: readonly LogType[];
  /** How many logs to keep (newest first). Default 200. */
  limit?: number;
  /** With auth on: the current token, asked on every (re)connect (read through a ref: no reconnect when it changes). */
  token?: TokenSource;
}

export interface UseSeanoLogs {
  isConnected: boolean;
  status: SeanoStatus;
  /** The last `limit` logs, newest first. */
  logs: SeanoLog[];
  /** Id of the newest log received (where the client resumes), if any. */
  lastId: string | undefined;
  /** The error the subscription ended with (a vessel outside the token's scope, say), if any. */
  error: unknown;
}

const DEFAULT_LIMIT = 200;

export function useSeanoLogs({ url, vehicleId, types, limit = DEFAULT_LIMIT, token }: UseSeanoLogsOptions): UseSeanoLogs {
  const [status, setStatus] = useState<SeanoStatus>('connecting');
  const [logs, setLogs] = useState<SeanoLog[]>([]);
  const [error, setError] = useState<unknown>(undefined);

  // Read when used, so changing `limit` or passing a new token function does not reconnect.
  const limitRef = useRef(limit);
  limitRef.current = limit;
  const tokenRef = useRef(token);
  tokenRef.current = token;

  // A new array on every render must not restart the subscription: depend on its contents.
  const typesKey = types ? [...types].sort().join(',') : '';

  useEffect(() => {
    const typeFilter = typesKey ? (typesKey.split(',') as LogType[]) : undefined;
    setStatus('connecting');
    setLogs([]);
    setError(undefined);

    const client = createSeanoClient({ url, token: () => tokenRef.current?.(), onState: setStatus });
    // From live (no `after`); after every reconnect the client adds `after` = the last id itself.
    client.subscribe(LogsSubscription, { vehicleId, types: typeFilter }, {
      next: ({ data, errors }) => {
        if (errors?.length) setError(errors);
        if (data) setLogs((prev) => [data.logs, ...prev].slice(0, limitRef.current));
      },
      error: setError,
      complete: () => {},
    });
    // Unmount or new filters: the subscription ends and the socket closes.
    return () => client.dispose();
  }, [url, vehicleId, typesKey]);

  return { isConnected: status === 'connected', status, logs, lastId: logs[0]?.id, error };
}
