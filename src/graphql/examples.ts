// What GraphiQL opens with: one query and one subscription to try. Kept as GraphQL in
// examples.graphql (it names the kinds and telemetry fields, which only src/logs/ spells in code).
import { readFileSync } from 'node:fs';

export const EXAMPLE_OPERATIONS = readFileSync(new URL('./examples.graphql', import.meta.url), 'utf8');
