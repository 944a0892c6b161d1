// Hostile-query limits (graphql-armor): depth, aliases, tokens and an estimated cost, checked at
// parse/validation time, before anything runs. Applied to HTTP and, through yoga's envelop, to
// graphql-ws operations. Each refusal is a GraphQL error naming the limit, counted in stats.
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
}

export function armorPlugins(l: QueryLimits, onReject: (limit: string) => void) {
  const reject = (limit: string) => [() => onReject(limit)];
  return [
    // Introspection included: nested `ofType` is the usual deep query. GraphiQL's own needs 13.
    maxDepthPlugin({ n: l.maxDepth, exposeLimits: true, flattenFragments: true, ignoreIntrospection: false, onReject: reject('depth') }),
    maxAliasesPlugin({ n: l.maxAliases, exposeLimits: true, onReject: reject('aliases') }),
    maxTokensPlugin({ n: l.maxTokens, exposeLimits: true, onReject: reject('tokens') }),
    costLimitPlugin({ maxCost: l.maxCost, exposeLimits: true, onReject: reject('cost') }),
  ];
}
