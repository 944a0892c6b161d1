// Variables that do not fit their type (a vehicle id beyond int4, a string for an Int) are the
// caller's mistake: graphql-js refuses them before anything runs, with no code; they get
// BAD_USER_INPUT, the code the resolvers' own argument checks use, so a client can act on one code.
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

// graphql-js's coerceVariableValues: 'Variable "$x" got invalid value …', '… of required type … was not provided.'
const VARIABLE_ERROR = /^Variable "\$[_A-Za-z][_0-9A-Za-z]*" /;

function tagged(e: GraphQLError): GraphQLError {
  if (e.extensions.code !== undefined || e.path !== undefined || !VARIABLE_ERROR.test(e.message)) return e;
  return new GraphQLError(e.message, {
    nodes: e.nodes,
    source: e.source,
    positions: e.positions,
    originalError: e.originalError,
    extensions: { ...e.extensions, code: 'BAD_USER_INPUT' },
  });
}

function withCodes(result: ExecutionResult): ExecutionResult | undefined {
  if (result.data !== undefined || !result.errors?.length) return undefined;
  return { ...result, errors: result.errors.map(tagged) };
}

export function useInputErrorCodes(): Plugin {
  return {
    onExecute: () => ({
      onExecuteDone({ result, setResult }) {
        const coded = Symbol.asyncIterator in result ? undefined : withCodes(result);
        if (coded) setResult(coded);
      },
    }),
    onSubscribe: () => ({
      onSubscribeResult({ result, setResult }) {
        const coded = Symbol.asyncIterator in result ? undefined : withCodes(result);
        if (coded) setResult(coded);
      },
    }),
  };
}
