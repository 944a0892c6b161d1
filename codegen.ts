// `npm run codegen` step 2: typed documents for the project's own clients and tests, from
// schema.graphql (itself printed from the Pothos schema by scripts/write-schema.ts).
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['client/operations.ts'],
  ignoreNoDocuments: false,
  // NodeNext resolution: generated imports must end in .js (STACK.md).
  emitLegacyCommonJSImports: false,
  generates: {
    'client/generated/': {
      preset: 'client',
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
