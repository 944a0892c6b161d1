// Everything a test starts — services, brokers, databases, proxies, clients — is registered
// here once and disposed after its suite, newest first, also when a test failed half way
// (graphql-ws tests/utils/tservers.ts habit): no test leaks a process, a port or a socket.
import { afterAll } from 'vitest';

type Dispose = () => Promise<void> | void;

const leftovers: (() => Promise<void>)[] = [];

/**
 * Registers what disposes a thing just started. Returns that dispose made idempotent: a test
 * may call it earlier (to restart a service, say); the suite's end then finds nothing to do.
 */
export function leave(dispose: Dispose): () => Promise<void> {
  let disposing: Promise<void> | undefined;
  const once = () => (disposing ??= Promise.resolve().then(dispose));
  leftovers.push(once);
  return once;
}

/** Disposes everything registered so far, newest first; a suite's afterAll. */
export async function disposeLeftovers(): Promise<void> {
  const errors: unknown[] = [];
  for (let next = leftovers.pop(); next; next = leftovers.pop()) await next().catch((err: unknown) => errors.push(err));
  if (errors.length) throw new AggregateError(errors, `${errors.length} test leftovers failed to dispose`);
}

// Under vitest (the bench imports these helpers too): what a test file forgot is disposed
// after its last suite.
if (process.env.VITEST) afterAll(disposeLeftovers);
