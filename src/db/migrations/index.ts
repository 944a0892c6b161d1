// Listed explicitly (not globbed from disk) so the same list works under tsx, vitest and a build.
import { Migration20261125000000_initial } from './Migration20261125000000_initial.js';

export const migrationsList = [
  { name: 'Migration20261125000000_initial', class: Migration20261125000000_initial },
];
