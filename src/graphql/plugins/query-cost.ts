// The query cost limit, with variables priced like literals. graphql-armor's cost rule runs at
// validation, which sees no variables: `first: 1000` multiplied the cost of a page, `first: $n`
// did not, so 15 aliases × logs(first: $n) passed (issue 12). Validation results are also cached
// by document, so the variables cannot be priced there. At execute/subscribe time (HTTP, SSE and
// graphql-ws alike) the page sizes given by variables are written into the document as literals
// and the same rule prices it again. A size outside 0..MAX_PAGE is left as a variable: the
// field refuses it (BAD_USER_INPUT) before reading anything.
import { costLimitPlugin, costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { Kind, validate, visit, type DefinitionNode, type DocumentNode, type ExecutionArgs, type GraphQLError, type ValueNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { MAX_PAGE } from '../schema/paging.js';

/** Arguments the rule multiplies a selection's cost by. */
const PAGE_ARGS = new Set(['first', 'last']);

/** The operation being run, with every fragment: the variables belong to it alone. */
function runOperation(args: ExecutionArgs): DocumentNode {
  const chosen = (d: DefinitionNode) =>
    d.kind !== Kind.OPERATION_DEFINITION || args.operationName === undefined || args.operationName === null || d.name?.value === args.operationName;
  return { ...args.document, definitions: args.document.definitions.filter(chosen) };
}

/** The operation's variable values, with the defaults its definitions declare. */
function variablesOf(args: ExecutionArgs, document: DocumentNode): Map<string, unknown> {
  const values = new Map<string, unknown>(Object.entries(args.variableValues ?? {}));
  for (const def of document.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const v of def.variableDefinitions ?? []) {
      if (!values.has(v.variable.name.value) && v.defaultValue?.kind === Kind.INT) values.set(v.variable.name.value, Number(v.defaultValue.value));
    }
  }
  return values;
}

/** The operation with its page-size variables replaced by their values; undefined when it has none. */
export function withPageSizes(args: ExecutionArgs): DocumentNode | undefined {
  const operation = runOperation(args);
  let variables: Map<string, unknown> | undefined;
  let replaced = false;
  const document = visit(operation, {
    Argument(node) {
      if (!PAGE_ARGS.has(node.name.value) || node.value.kind !== Kind.VARIABLE) return undefined;
      variables ??= variablesOf(args, operation);
      const n = variables.get(node.value.name.value);
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_PAGE) return undefined;
      replaced = true;
      return { ...node, value: { kind: Kind.INT, value: String(n) } satisfies ValueNode };
    },
  });
  return replaced ? document : undefined;
}

export interface CostOptions {
  maxCost: number;
  onReject: () => void;
}

/** The rule's error for this operation with its variables, or undefined when within the limit. */
export function costError(args: ExecutionArgs, maxCost: number): GraphQLError | undefined {
  const document = withPageSizes(args);
  if (!document) return undefined; // only literals: priced at validation already
  try {
    validate(args.schema, document, [costLimitRule({ maxCost, exposeLimits: true })]);
  } catch (err) {
    return err as GraphQLError; // the rule throws its refusal
  }
  return undefined;
}

export function useQueryCost(o: CostOptions): Plugin[] {
  const check = ({ args, setResultAndStopExecution }: { args: ExecutionArgs; setResultAndStopExecution: (r: { errors: GraphQLError[] }) => void }) => {
    const error = costError(args, o.maxCost);
    if (!error) return;
    o.onReject();
    setResultAndStopExecution({ errors: [error] });
  };
  return [
    costLimitPlugin({ maxCost: o.maxCost, exposeLimits: true, onReject: [() => o.onReject()] }),
    { onExecute: check, onSubscribe: check },
  ];
}
