import { GraphQLError, Kind } from 'graphql';
import { builder, type Builder } from '../builder.js';

function toDate(value: unknown): Date {
  const d = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(d.getTime())) {
    throw new GraphQLError(`DateTime must be an ISO-8601 string, got ${JSON.stringify(value)}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return d;
}

export function defineScalars(b: Builder): void {
  b.scalarType('DateTime', {
    description: 'ISO-8601 UTC string with milliseconds, e.g. 2025-10-18T16:30:00.123Z',
    serialize: (v) => toDate(v).toISOString(),
    parseValue: (v) => toDate(v),
    parseLiteral: (ast) => toDate(ast.kind === Kind.STRING ? ast.value : undefined),
  });

  b.scalarType('JSON', {
    description: 'Any JSON value, as received',
    serialize: (v) => v,
    parseValue: (v) => v,
    parseLiteral: () => {
      throw new GraphQLError('JSON literals are not accepted; use a variable', { extensions: { code: 'BAD_USER_INPUT' } });
    },
  });
}

defineScalars(builder);
