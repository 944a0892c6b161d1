// urql over the resuming core: an exchange that forwards subscriptions to the SEANO client, which
// resumes each from the last log id it delivered after a reconnect and drops duplicates. (urql's
// own recipe, subscriptionExchange over a graphql-ws client, re-sends the first variables.)
import { subscriptionExchange, type Exchange } from '@urql/core';
import type { SeanoClient } from './index.js';

export interface SeanoExchangeOptions {
  /** Also send queries and mutations over the socket (default: subscriptions only). */
  enableAllOperations?: boolean;
}

export function seanoExchange(client: SeanoClient, options: SeanoExchangeOptions = {}): Exchange {
  return subscriptionExchange({
    enableAllOperations: options.enableAllOperations,
    forwardSubscription: (request) => ({
      subscribe: (observer) => {
        // urql has already printed the document; the core reads `$after` from the text.
        const dispose = client.request({ ...request, query: request.query ?? '' }, {
          next: (result) => observer.next(result as Parameters<typeof observer.next>[0]),
          error: (err) => observer.error(err),
          complete: () => observer.complete(),
        });
        return { unsubscribe: dispose };
      },
    }),
  });
}
