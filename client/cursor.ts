// Where a log stream resumes. SPEC §4: `Log.id` grows with every stored log and `after: X` means
// "the logs after X", so the id of the last log delivered is a complete resume point, and any
// id at or below it is one the application already has (a replay overlapping what came live).
import { Kind, parse, type DocumentNode } from 'graphql';

export class ResumeCursor {
  constructor(private last: string | undefined) {}

  /** The id to resume after: the last one delivered, or the one the application started from. */
  get after(): string | undefined {
    return this.last;
  }

  /** True when `id` is new (above the cursor), which then moves to it; false for a duplicate. */
  advance(id: string): boolean {
    // Ids are int8 in the database: beyond 2^53, so compared as BigInt, never as numbers.
    if (this.last !== undefined && BigInt(id) <= BigInt(this.last)) return false;
    this.last = id;
    return true;
  }
}

/** The parts of an operation the client needs to know before sending it. */
export interface OperationShape {
  kind: 'query' | 'mutation' | 'subscription';
  /** Declares `$after`: a log stream, resumed from its cursor (the SPEC's one resume argument). */
  resumable: boolean;
}

export function operationShape(query: string | DocumentNode): OperationShape {
  const document = typeof query === 'string' ? parse(query) : query;
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) throw new Error('the document holds no operation');
  const resumable = (operation.variableDefinitions ?? []).some((v) => v.variable.name.value === 'after');
  return { kind: operation.operation, resumable };
}

/** The log id in a subscription result: `{ logs: { id } }`, whatever the root field is called. */
export function logIdOf(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const root = Object.values(data)[0] as { id?: unknown } | null | undefined;
  return typeof root?.id === 'string' ? root.id : undefined;
}
