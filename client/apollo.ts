// Apollo Client over the resuming core: use in place of GraphQLWsLink. Apollo's own link sends
// a subscription's first variables again after a reconnect (issue 14: 126 of 270 logs lost, or
// 51 repeated); this one hands each operation to the SEANO client, which resumes it from the
// last log id it delivered and drops what the application already has.
import { ApolloLink } from '@apollo/client/link';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import type { GraphQLFormattedError } from 'graphql';
import { Observable } from 'rxjs';
import { isCloseLike } from './connection.js';
import type { SeanoClient } from './index.js';

/** Apollo wants an Error: a close becomes one naming its code, server errors CombinedGraphQLErrors. */
function toApolloError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (isCloseLike(err)) return new Error(`Socket closed with event ${err.code} ${err.reason}`.trim());
  return new CombinedGraphQLErrors({ errors: (Array.isArray(err) ? err : [err]) as GraphQLFormattedError[] });
}

export class SeanoLink extends ApolloLink {
  constructor(readonly client: SeanoClient) {
    super();
  }

  override request(operation: ApolloLink.Operation): Observable<ApolloLink.Result> {
    return new Observable<ApolloLink.Result>((observer) =>
      this.client.request(
        {
          query: operation.query,
          variables: operation.variables,
          operationName: operation.operationName,
          extensions: operation.extensions,
        },
        {
          next: (result) => observer.next(result),
          error: (err) => observer.error(toApolloError(err)),
          complete: () => observer.complete(),
        },
      ),
    );
  }
}
