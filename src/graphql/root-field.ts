// The root field an operation runs and its arguments as the resolver will see them (variables
// and defaults applied), for plugins that act on a subscription before it runs: its lag policy
// (groups.ts), whether it resumes by Last-Event-ID (plugins/sse-resume.ts), the vehicles it
// follows (session.ts).
import { getArgumentValues, getOperationAST, getVariableValues, Kind } from 'graphql';
import type { DocumentNode, ExecutionArgs, FieldNode, FragmentDefinitionNode, GraphQLField, SelectionSetNode } from 'graphql';

export interface RootField {
  field: GraphQLField<unknown, unknown>;
  args: Record<string, unknown>;
}

type Operation = Pick<ExecutionArgs, 'schema' | 'document' | 'operationName' | 'variableValues'>;

/** The first root field of the operation, through fragments; undefined when its variables do not coerce. */
export function rootField(o: Operation): RootField | undefined {
  const op = getOperationAST(o.document, o.operationName);
  const type = op && o.schema.getRootType(op.operation);
  const node = op && firstField(o.document, op.selectionSet);
  const field = node && type?.getFields()[node.name.value];
  if (!op || !node || !field) return undefined;
  const vars = getVariableValues(o.schema, op.variableDefinitions ?? [], o.variableValues ?? {});
  if (!vars.coerced) return undefined;
  try {
    return { field, args: getArgumentValues(field, node, vars.coerced) };
  } catch {
    return undefined; // graphql reports a bad argument itself when it runs the operation
  }
}

function firstField(document: DocumentNode, set: SelectionSetNode): FieldNode | undefined {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) return sel;
    const inner =
      sel.kind === Kind.INLINE_FRAGMENT
        ? sel.selectionSet
        : document.definitions.find((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === sel.name.value)?.selectionSet;
    const found = inner && firstField(document, inner);
    if (found) return found;
  }
  return undefined;
}

/** The vehicle ids a root field's arguments name (`vehicleId`, or marked like `vehicle(id:)`). */
export function vehicleIdsOf(root: RootField): number[] {
  return root.field.args
    .filter((a) => a.name === 'vehicleId' || a.extensions?.vehicleId === true)
    .map((a) => root.args[a.name])
    .filter((v): v is number => typeof v === 'number');
}
