import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import VehicleScopePlugin from './plugins/vehicle-scope.js';
import type { GraphQLContext } from './context.js';

export interface BuilderTypes {
  Context: GraphQLContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    ID: { Input: string; Output: string };
  };
  DefaultFieldNullability: false;
}

/** A builder with this schema's plugins and root types (a second one only in tests of derived types). */
export function createBuilder() {
  const b = new SchemaBuilder<BuilderTypes>({
    plugins: [RelayPlugin, VehicleScopePlugin],
    defaultFieldNullability: false,
    relay: {
      // Cursors are plain log ids (SPEC §4): `after` means the same in queries, subscriptions, ?after=.
      cursorType: 'String',
      edgeCursorType: 'String',
      clientMutationId: 'omit',
      nodeQueryOptions: false,
      nodesQueryOptions: false,
    },
  });
  b.queryType({});
  b.subscriptionType({});
  return b;
}

export type Builder = ReturnType<typeof createBuilder>;

export const builder = createBuilder();
