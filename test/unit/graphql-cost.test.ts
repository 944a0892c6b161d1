// The cost limit prices page sizes given by variables like literals (issue 12: 15 aliases of
// logs(first: $n) passed while the literal form was refused).
import { buildSchema, parse, validate, type ExecutionArgs } from 'graphql';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { describe, expect, it } from 'vitest';
import { costError, withPageSizes } from '../../src/graphql/plugins/query-cost.js';
import { MAX_PAGE } from '../../src/graphql/schema/paging.js';

const schema = buildSchema(`
  type Query { logs(first: Int, last: Int): LogConnection! }
  type LogConnection { edges: [LogEdge!]! }
  type LogEdge { cursor: String! node: Log! }
  type Log { id: ID! message: String! }
`);
const MAX_COST = 5000;
const aliases = (arg: string) => Array.from({ length: 15 }, (_, i) => `a${i}: logs(${arg}) { edges { node { id message } } }`).join(' ');
const args = (query: string, variableValues?: Record<string, unknown>, operationName?: string): ExecutionArgs => ({
  schema, document: parse(query), variableValues, operationName,
});
const literalCost = (query: string) => {
  try {
    validate(schema, parse(query), [costLimitRule({ maxCost: MAX_COST, exposeLimits: true })]);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
};

describe('cost with variables', () => {
  it('refuses 15 aliases × logs(first: $n) with the same error as the literal form', () => {
    const literal = literalCost(`{ ${aliases('first: 1000')} }`);
    expect(literal).toMatch(/Cost limit of 5000 exceeded/);
    const query = `query($n: Int) { ${aliases('first: $n')} }`;
    expect(literalCost(query)).toBeUndefined(); // what graphql-armor alone sees
    expect(costError(args(query, { n: 1000 }), MAX_COST)?.message).toBe(literal);
  });

  it('passes the same operation with a small page', () => {
    expect(costError(args(`query($n: Int) { ${aliases('first: $n')} }`, { n: 1 }), MAX_COST)).toBeUndefined();
  });

  it('uses a variable default, and `last` as well as `first`', () => {
    expect(costError(args(`query($n: Int = 1000) { ${aliases('last: $n')} }`), MAX_COST)).toBeDefined();
    expect(costError(args(`query($n: Int = 1000) { ${aliases('last: $n')} }`, { n: 2 }), MAX_COST)).toBeUndefined();
  });

  it('prices variables inside fragments, for the operation named', () => {
    const query = `
      query Small($n: Int) { a: logs(first: 1) { ...Page } }
      query Big($n: Int) { ${aliases('first: $n')} }
      fragment Page on LogConnection { edges { node { id } } }`;
    expect(costError(args(query, { n: 1000 }, 'Big'), MAX_COST)).toBeDefined();
    expect(costError(args(query, { n: 1000 }, 'Small'), MAX_COST)).toBeUndefined();
    const inFragment = `query($n: Int) { ${Array.from({ length: 15 }, (_, i) => `a${i}: logs { edges { node { id } } } b${i}: logs(first: $n) { ...E }`).join(' ')} }
      fragment E on LogConnection { edges { node { id message } } }`;
    expect(costError(args(inFragment, { n: 1000 }), MAX_COST)).toBeDefined();
  });

  it('leaves a size outside 0..MAX_PAGE to the field, which refuses it as BAD_USER_INPUT', () => {
    expect(withPageSizes(args('query($n: Int) { logs(first: $n) { edges { cursor } } }', { n: MAX_PAGE + 1 }))).toBeUndefined();
    expect(withPageSizes(args('query($n: Int) { logs(first: $n) { edges { cursor } } }', { n: -1 }))).toBeUndefined();
    expect(withPageSizes(args('query($n: Int) { logs(first: $n) { edges { cursor } } }', { n: MAX_PAGE }))).toBeDefined();
  });

  it('does nothing for operations without page-size variables', () => {
    expect(withPageSizes(args(`{ ${aliases('first: 1000')} }`))).toBeUndefined();
    expect(withPageSizes(args('query($v: Int) { logs(first: 3) { edges { cursor } } }', { v: 1000 }))).toBeUndefined();
  });
});
