// The vehicle scope on every field that takes a vehicle id (SPEC §7), read from the schema
// itself so a field added later is covered too; and no field suggestions for a caller without a
// valid token when auth is on (issue 12).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { getNamedType, isNonNullType, isObjectType, isAbstractType, parse, type GraphQLField, type GraphQLInputType } from 'graphql';
import { schema } from '../../src/graphql/schema/index.js';
import { backends } from '../utils/backends.js';
import { startService, type TestService } from '../utils/service.js';
import { graphqlWsClient, subscribe } from '../utils/clients.js';
import { disposeLeftovers } from '../utils/leftovers.js';

const SECRET = 'test-secret-that-is-long-enough-for-hs256';
const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));

/** An argument value of the right type, for the arguments a field requires. */
function sample(type: GraphQLInputType): string {
  const name = getNamedType(type).name;
  if (name === 'DateTime') return '"2025-01-01T00:00:00Z"';
  if (name === 'String') return '"speed"';
  if (name === 'Float' || name === 'Int') return '1';
  throw new Error(`no sample for ${name}`);
}

/** Root fields taking a vehicle id (`vehicleId`, or `vehicle(id:)`), as operations asking for `vehicleId`. */
function vehicleFields(root: 'query' | 'subscription', vehicleId: number): { field: string; operation: string }[] {
  const type = root === 'query' ? schema.getQueryType()! : schema.getSubscriptionType()!;
  return Object.values(type.getFields() as Record<string, GraphQLField<unknown, unknown>>)
    .filter((f) => f.args.some((a) => a.name === 'vehicleId') || (f.name === 'vehicle' && f.args.some((a) => a.name === 'id')))
    .map((f) => {
      const args = f.args
        .filter((a) => a.name === 'vehicleId' || a.name === 'id' || (isNonNullType(a.type) && a.defaultValue === undefined))
        .map((a) => `${a.name}: ${a.name === 'vehicleId' || a.name === 'id' ? vehicleId : sample(a.type)}`);
      const named = getNamedType(f.type);
      const selection = isObjectType(named) || isAbstractType(named) ? ' { __typename }' : '';
      return { field: f.name, operation: `${root} { ${f.name}(${args.join(', ')})${selection} }` };
    });
}

describe('vehicle scope on every resolver, and suggestions', () => {
  let svc: TestService;
  let onlyTwo: string;

  beforeAll(async () => {
    svc = await startService(backends[0]!, { AUTH_JWT_SECRET: SECRET });
    onlyTwo = await token({ vehicles: [2] });
  });
  afterAll(disposeLeftovers);

  it('refuses a vehicle outside the token with FORBIDDEN, and a vehicle id ≤ 0 with BAD_USER_INPUT, on every query', async () => {
    const queries = vehicleFields('query', 1);
    expect(queries.map((q) => q.field)).toEqual(expect.arrayContaining(['logs', 'vehicle', 'series', 'track']));
    const auth = { authorization: `Bearer ${onlyTwo}` };
    for (const { operation } of queries) {
      const r = await svc.gql(operation, {}, auth);
      expect(r.errors?.[0]?.extensions.code, operation).toBe('FORBIDDEN');
      expect(r.errors?.[0]?.message, operation).toBe("vehicle 1 is outside this token's scope");
    }
    for (const { operation } of vehicleFields('query', 0)) {
      const r = await svc.gql(operation, {}, auth);
      expect(r.errors?.[0]?.extensions.code, operation).toBe('BAD_USER_INPUT');
    }
    const inScope = await svc.gql('{ vehicle(id: 2) { id } logs(vehicleId: 2) { edges { cursor } } }', {}, auth);
    expect(inScope).toEqual({ data: { vehicle: null, logs: { edges: [] } } });
  });

  it('refuses a vehicle outside the token with FORBIDDEN on every subscription, over graphql-ws', async () => {
    const subscriptions = vehicleFields('subscription', 1);
    expect(subscriptions.map((s) => s.field)).toEqual(expect.arrayContaining(['logs', 'vehicleStatus']));
    const ws = graphqlWsClient(`${svc.wsUrl}/graphql`, { authorization: `Bearer ${onlyTwo}` });
    for (const { operation } of subscriptions) {
      const sub = subscribe(ws, parse(operation));
      const [errors] = await sub.errors.count(1);
      expect((errors as any)[0]?.extensions?.code, operation).toBe('FORBIDDEN');
    }
    await ws.dispose();
  });

  it('names no fields a caller without a valid token did not write', async () => {
    const callers: Record<string, string>[] = [{}, { authorization: 'Bearer not-a-token' }, { authorization: `Bearer ${onlyTwo}` }];
    for (const headers of callers) {
      const res = await fetch(`${svc.httpUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ log { id } vehicles { idd } logs(vehicleIdd: 1) { edges { cursor } } }' }),
      });
      const text = await res.text();
      expect(text).not.toMatch(/Did you mean/);
      // Without a valid token: refused before the body is read; with one: told only what is wrong.
      if (headers === callers[2]) expect(JSON.parse(text).errors.map((e: any) => e.message)).toContain('Cannot query field "log" on type "Query".');
      else expect(res.status).toBe(401);
    }
  });
});
