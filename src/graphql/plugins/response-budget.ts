// A byte budget per response (GRAPHQL_MAX_RESPONSE_BYTES). The page-size and cost limits bound
// how many logs a query asks for, not how large they are: 4 × logs(first: 1000) over 100 KB
// raw lines was a 329 MB response and 2 GB of RSS (issue 12). The large fields (a raw line, a
// JSON object) charge their size as they resolve; past the budget the query ends with one error
// instead of a response built in full. Per query or mutation; a subscription's events are each
// bounded by the payload limit and are not charged.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export class ResponseBudget {
  private used = 0;
  exceeded = false;
  private loads: Promise<unknown> = Promise.resolve();

  constructor(readonly maxBytes: number) {}

  charge(bytes: number): void {
    this.used += bytes;
    if (this.used > this.maxBytes) this.exceeded = true;
    if (this.exceeded) throw this.error();
  }

  /**
   * Runs a response's large reads one at a time, and none once the budget is spent. Aliases
   * resolve in parallel: 15 × logs(first: 1000) over 100 KB lines loaded 1.5 GB before the first
   * field was charged. Serially, the fields of one page are charged (graphql-js completes a
   * resolved page in microtasks, before the next macrotask) before the next page is read, so a
   * response holds at most one page beyond its budget.
   */
  serial<T>(load: () => Promise<T>): Promise<T> {
    const next = this.loads.then(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.exceeded) throw this.error();
      return load();
    });
    this.loads = next.catch(() => {});
    return next;
  }

  error(): GraphQLError {
    return new GraphQLError(
      `the response would exceed ${this.maxBytes} bytes (GRAPHQL_MAX_RESPONSE_BYTES): ask for fewer logs (first/last, a narrower from/to) or leave out message/data`,
      { extensions: { code: 'RESPONSE_TOO_LARGE', maxBytes: this.maxBytes } },
    );
  }
}

const byteSize = (value: unknown): number =>
  typeof value === 'string' ? Buffer.byteLength(value) : value === null || value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));

/** Returns `value`, charging its size to the response being built (if any). */
export function chargeResponse<T>(ctx: { responseBudget?: ResponseBudget }, value: T): T {
  ctx.responseBudget?.charge(byteSize(value));
  return value;
}

export function useResponseBudget(maxBytes: number, onReject: () => void): Plugin {
  return {
    onExecute({ extendContext }) {
      const budget = new ResponseBudget(maxBytes);
      extendContext({ responseBudget: budget } as object);
      return {
        // The partial data and one error per aborted field give way to the one error that says why.
        onExecuteDone({ result, setResult }) {
          if (!budget.exceeded || Symbol.asyncIterator in result) return;
          onReject();
          setResult({ errors: [budget.error()] });
        },
      };
    },
  };
}
