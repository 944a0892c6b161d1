// GraphiQL opens with src/graphql/examples.graphql: it must stay valid against the schema.
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_OPERATIONS } from '../../src/graphql/examples.js';
import { schema } from '../../src/graphql/schema/index.js';

describe('GraphiQL examples', () => {
  it('are operations the schema accepts', () => {
    const document = parse(EXAMPLE_OPERATIONS);
    expect(document.definitions.map((d) => ('name' in d ? d.name?.value : undefined))).toEqual(['LatestLogs', 'LiveLogs']);
    expect(validate(schema, document)).toEqual([]);
  });
});
