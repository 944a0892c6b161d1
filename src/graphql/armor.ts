// Hostile-query limits, all registered here (graphql/server.ts passes this list to yoga, whose
// envelop also runs graphql-ws operations): depth, aliases and tokens (graphql-armor) at
// validation; the cost, with variables priced like literals (plugins/query-cost.ts); a byte
// budget per response (plugins/response-budget.ts); no field suggestions when auth is on
// (plugins/no-suggestions.ts); BAD_USER_INPUT on variables that do not fit their type
// (plugins/input-errors.ts). Each refusal is a GraphQL error naming the limit, counted in stats.
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { Plugin } from 'graphql-yoga';
import { useQueryCost } from './plugins/query-cost.js';
import { useResponseBudget } from './plugins/response-budget.js';
import { useNoSuggestions } from './plugins/no-suggestions.js';
import { useInputErrorCodes } from './plugins/input-errors.js';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
  /** GRAPHQL_MAX_RESPONSE_BYTES. */
  maxResponseBytes: number;
  /** Auth is on: validation errors name no fields the caller did not write ("Did you mean …"). */
  hideSuggestions: boolean;
}

export function armorPlugins(l: QueryLimits, onReject: (limit: string) => void): Plugin[] {
  const reject = (limit: string) => [() => onReject(limit)];
  return [
    ...(l.hideSuggestions ? [useNoSuggestions()] : []),
    // Introspection included: nested `ofType` is the usual deep query. GraphiQL's own needs 13.
    maxDepthPlugin({ n: l.maxDepth, exposeLimits: true, flattenFragments: true, ignoreIntrospection: false, onReject: reject('depth') }),
    maxAliasesPlugin({ n: l.maxAliases, exposeLimits: true, onReject: reject('aliases') }),
    maxTokensPlugin({ n: l.maxTokens, exposeLimits: true, onReject: reject('tokens') }),
    useInputErrorCodes(),
    ...useQueryCost({ maxCost: l.maxCost, onReject: () => onReject('cost') }),
    useResponseBudget(l.maxResponseBytes, () => onReject('response_bytes')),
  ];
}
