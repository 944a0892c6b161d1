// `npm run codegen` step 1: print schema.graphql from the Pothos schema (never hand-edited).
// A test compares this output with the checked-in file, so a stale schema.graphql fails CI.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from '../src/graphql/schema/index.js';

export function renderSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../schema.graphql', import.meta.url), renderSchema());
  console.log('wrote schema.graphql');
}
