// LiveOperation, the client's per-operation state machine, over a fake graphql-ws client: what it
// sends on each socket, what it lets through, and when it gives up.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Client, Sink } from 'graphql-ws/client';
import { LiveOperation } from '../../client/operation.js';
import { LogsSubscription } from '../../client/operations.js';

interface Sent {
  variables: Record<string, unknown> | null | undefined;
  sink: Sink<any>;
  disposed: boolean;
}

/** Records every operation sent, as one socket would see them. */
function fakeClient(): { client: Client; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = {
    subscribe(payload: { variables?: Record<string, unknown> | null }, sink: Sink<any>) {
      const entry: Sent = { variables: payload.variables, sink, disposed: false };
      sent.push(entry);
      return () => (entry.disposed = true);
    },
  } as unknown as Client;
  return { client, sent };
}

function app() {
  const got = { ids: [] as string[], errors: [] as unknown[], completed: 0, ended: 0 };
  const sink = {
    next: (r: { data?: { logs?: { id: string } } }) => r.data?.logs && got.ids.push(r.data.logs.id),
    error: (e: unknown) => got.errors.push(e),
    complete: () => got.completed++,
  };
  return { got, sink };
}

const log = (id: number) => ({ data: { logs: { id: String(id) } } });

describe('LiveOperation', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('on each new socket resumes after the last id delivered and drops what it already has', () => {
    const { client, sent } = fakeClient();
    const { got, sink } = app();
    let connected: Client | undefined = client;
    const op = new LiveOperation({ query: LogsSubscription, variables: { vehicleId: 1 } }, sink, { connected: () => connected, ended: () => {} });
    op.start(client);
    expect(sent[0]!.variables).toEqual({ vehicleId: 1 });
    [1, 2, 3].forEach((id) => sent[0]!.sink.next(log(id)));

    op.pause({ code: 1001, reason: 'going away' });
    expect(sent[0]!.disposed).toBe(true);
    sent[0]!.sink.next(log(4)); // late, from the socket that closed: not heard
    connected = client;
    op.start(client);
    expect(sent[1]!.variables).toEqual({ vehicleId: 1, after: '3' });
    [2, 3, 4, 4, 5].forEach((id) => sent[1]!.sink.next(log(id)));
    expect(got.ids).toEqual(['1', '2', '3', '4', '5']);
  });

  it('starts from the application’s own after, and goes on from its cursor when the server completes it', () => {
    const { client, sent } = fakeClient();
    const { got, sink } = app();
    const op = new LiveOperation({ query: LogsSubscription, variables: { after: '10' } }, sink, { connected: () => client, ended: () => {} });
    op.start(client);
    sent[0]!.sink.next(log(10)); // the one it started after
    sent[0]!.sink.next(log(11));
    sent[0]!.sink.complete(); // a log stream never ends by itself
    vi.advanceTimersByTime(1_000);
    expect(sent[1]!.variables).toEqual({ after: '11' });
    // A transient error (no final code) is resumed too, after a longer pause.
    sent[1]!.sink.error([{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    vi.advanceTimersByTime(1_999);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(3);
    expect(got).toMatchObject({ ids: ['11'], errors: [], completed: 0 });
  });

  it('hands a final error to the application and ends', () => {
    const { client, sent } = fakeClient();
    const { got, sink } = app();
    const ended = vi.fn();
    const op = new LiveOperation({ query: LogsSubscription, variables: { vehicleId: 9 } }, sink, { connected: () => client, ended });
    op.start(client);
    const forbidden = [{ message: 'vehicle 9 is outside this token’s scope', extensions: { code: 'FORBIDDEN' } }];
    sent[0]!.sink.error(forbidden);
    vi.advanceTimersByTime(60_000);
    expect(sent).toHaveLength(1);
    expect(got.errors).toEqual([forbidden]);
    expect(ended).toHaveBeenCalledWith(op);
  });

  it('restarts other subscriptions as sent, and completes them when the server does', () => {
    const { client, sent } = fakeClient();
    const { got, sink } = app();
    const op = new LiveOperation({ query: 'subscription { vehicleStatus { vehicleId } }' }, sink, { connected: () => client, ended: () => {} });
    op.start(client);
    op.pause(undefined);
    op.start(client);
    expect(sent.map((s) => s.variables)).toEqual([undefined, undefined]);
    sent[1]!.sink.complete();
    expect(got.completed).toBe(1);
  });

  it('does not send a mutation again after its socket closed: the application hears the close', () => {
    const { client, sent } = fakeClient();
    const { got, sink } = app();
    const op = new LiveOperation({ query: 'mutation { renewToken(token: "t") { expiresAt } }' }, sink, { connected: () => client, ended: () => {} });
    op.start(client);
    op.pause({ code: 1006, reason: '' });
    op.start(client);
    expect(sent).toHaveLength(1);
    expect(got.errors).toEqual([{ code: 1006, reason: '' }]);
  });
});
