// Query limits a hostile client meets (issue 12): the cost of pages given by variables, a byte
// budget per response, and ids out of range answered as the caller's mistake, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { graphqlWsClient, openFeed, subscribe } from '../utils/clients.js';
import { disposeLeftovers } from '../utils/leftovers.js';
import { readStats } from '../utils/wait.js';

const ROWS = 20;
const LINE = 100 * 1024;
const BUDGET = 2 * 1024 * 1024; // twenty of the lines: a page of 20 over both aliases is twice that

const page = 'edges { cursor node { id vehicleId type timestamp receivedAt ... on RawLog { message } } } pageInfo { endCursor }';
const aliased = (arg: string) => Array.from({ length: 15 }, (_, i) => `a${i}: logs(${arg}) { ${page} }`).join(' ');

/** A query over SSE: the `next` payloads of its stream. */
async function overSse(svc: TestService, query: string, variables: Record<string, unknown>): Promise<any[]> {
  const res = await fetch(`${svc.httpUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text(); // a query's stream completes after its one result
  return [...text.matchAll(/^event: next\ndata: (.*)$/gm)].map((m) => JSON.parse(m[1]!));
}

describe('GraphQL cost, response size and id ranges', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startService(backends[0]!, { GRAPHQL_MAX_COST: '100000', GRAPHQL_MAX_RESPONSE_BYTES: String(BUDGET) });
    const vessel = await svc.publisher();
    const feed = await openFeed(`${svc.wsUrl}/api/ws`);
    for (let i = 0; i < ROWS; i++) await svc.publish(vessel, 1, 'raw_log', `${i}`.padEnd(LINE, 'x'));
    await feed.logs(ROWS); // all committed
    feed.close();
  });
  afterAll(disposeLeftovers);

  it('prices 15 aliases × logs(first: $n) like the literal form, on HTTP, SSE and graphql-ws', async () => {
    const literal = await svc.gql(`{ ${aliased('first: 1000')} }`);
    expect(literal.errors?.[0].message).toMatch(/Cost limit of 100000 exceeded/);
    const query = `query Pages($n: Int) { ${aliased('first: $n')} }`;
    const variables = await svc.gql(query, { n: 1000 });
    expect(variables.data).toBeUndefined();
    expect(variables.errors?.map((e) => e.message)).toEqual([literal.errors?.[0].message]);
    expect(await overSse(svc, query, { n: 1000 })).toEqual([{ errors: [expect.objectContaining({ message: literal.errors?.[0].message })] }]);

    const ws = graphqlWsClient(`${svc.wsUrl}/graphql`);
    const sub = subscribe(ws, parse(query), { n: 1000 });
    const [wsErrors] = await sub.errors.count(1);
    expect((wsErrors as any)[0].message).toBe(literal.errors?.[0].message);
    await ws.dispose();

    const small = await svc.gql(query, { n: 1 }); // the same operation with a small page is served
    expect(small.errors).toBeUndefined();
    expect(small.data.a14.edges).toHaveLength(1);
    expect((await readStats(svc)).refusals.graphql_cost).toBe(4);
  });

  it('refuses a response over GRAPHQL_MAX_RESPONSE_BYTES with one clear error, and serves one under it', async () => {
    const big = await svc.gql(`{ a: logs(first: ${ROWS}) { ${page} } b: logs(last: ${ROWS}) { ${page} } }`);
    expect(big.data ?? null).toBeNull();
    expect(big.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(new RegExp(`exceed ${BUDGET} bytes \\(GRAPHQL_MAX_RESPONSE_BYTES\\)`)),
        extensions: expect.objectContaining({ code: 'RESPONSE_TOO_LARGE' }),
      }),
    ]);
    const five = await svc.gql(`{ logs(first: 5) { ${page} } }`);
    expect(five.errors).toBeUndefined();
    expect(five.data.logs.edges.map((e: any) => e.node.message.length)).toEqual([LINE, LINE, LINE, LINE, LINE]);
    // Small fields of every row are not what the budget is for.
    const ids = await svc.gql(`{ logs(first: ${ROWS}) { edges { node { id } } } }`);
    expect(ids.data.logs.edges).toHaveLength(ROWS);
    expect((await readStats(svc)).refusals.graphql_response_bytes).toBe(1);
  });

  it('answers out-of-range cursors and vehicle ids with BAD_USER_INPUT, never a 500', async () => {
    const beyond = '9223372036854775808'; // bigint max + 1
    for (const [query, variables] of [
      [`{ logs(after: "${beyond}") { ${page} } }`, {}],
      [`{ logs(before: "99999999999999999999999") { ${page} } }`, {}],
      ['query($c: String) { logs(after: $c) { edges { cursor } } }', { c: '-1' }],
      ['{ logs(vehicleId: 0) { edges { cursor } } }', {}],
      ['query($v: Int!) { vehicle(id: $v) { id } }', { v: -5 }],
      ['query($v: Int!) { track(vehicleId: $v) { id } }', { v: 0 }],
      ['query($v: Int) { logs(vehicleId: $v) { edges { cursor } } }', { v: 2147483648 }], // beyond int4: refused by the Int type itself
    ] as const) {
      const res = await fetch(`${svc.httpUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      expect(res.status, query).toBeLessThan(500);
      const body = await res.json();
      expect(body.errors?.[0].extensions.code, query).toBe('BAD_USER_INPUT');
    }
    const ws = graphqlWsClient(`${svc.wsUrl}/graphql`);
    const sub = subscribe(ws, parse(`subscription { logs(after: "${beyond}") { id } }`));
    const [errors] = await sub.errors.count(1);
    expect((errors as any)[0].extensions.code).toBe('BAD_USER_INPUT');
    await ws.dispose();
  });
});
