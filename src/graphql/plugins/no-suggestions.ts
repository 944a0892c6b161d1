// No field suggestions ("Did you mean …") in validation errors. Validation runs before the
// token is checked, so suggestions would map the schema for anyone (issue 12); with auth on,
// the caller learns only that what it wrote is wrong.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

const SUGGESTION = /\s*Did you mean .*\?$/s;

export function withoutSuggestion(e: Error): Error {
  if (!(e instanceof GraphQLError) || !SUGGESTION.test(e.message)) return e;
  return new GraphQLError(e.message.replace(SUGGESTION, ''), {
    nodes: e.nodes,
    source: e.source,
    positions: e.positions,
    path: e.path,
    originalError: e.originalError,
    extensions: e.extensions,
  });
}

export function useNoSuggestions(): Plugin {
  return {
    onValidate: () => ({ result, setResult }) => {
      if (result.some((e) => SUGGESTION.test(e.message))) setResult(result.map(withoutSuggestion));
    },
  };
}
