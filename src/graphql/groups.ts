// One execution per distinct subscription, not per subscriber. graphql-js would run every event
// through `execute` once for each subscriber; subscribers of the same operation with the same
// variables and the same token scope get the same result, so a group executes it once and hands
// the same result object to every member. A resuming subscription (`after`) replays its own
// history and runs alone. Applies to graphql-ws and SSE alike (an envelop plugin around
// subscribe); counting and limits are count-subscriptions.ts's. What a member skips when it
// lags (onLag: CONFLATE) and what its socket may still see after a renewal are its own: each
// member's queue decides (SPEC §9).
import { getOperationAST, getVariableValues, Kind, print, visit } from 'graphql';
import type { DocumentNode, ExecutionArgs, ExecutionResult, FragmentDefinitionNode, SelectionSetNode, subscribe } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Backpressure, type LagCounters, type LagLimits, type Transport } from '../live/backpressure.js';
import type { Conflation } from '../live/conflation.js';
import { LiveQueue } from '../live/queue.js';
import { RESULT_CONFLATION } from './plugins/live-results.js';
import { rootField } from './root-field.js';
import type { ResultSink } from './splice.js';

/** What graphql's subscribe resolves to: a stream of results, or one result with the errors. */
type Subscribed = Awaited<ReturnType<typeof subscribe>>;
type Source = Exclude<Subscribed, ExecutionResult>;

const isStream = (r: Subscribed): r is Source => Symbol.asyncIterator in r;

/** What a member decides for itself: how it conflates once it lags, which results its socket may still be sent. */
export interface MemberOptions {
  conflation?: Conflation<ExecutionResult>;
  counters?: LagCounters;
  admits?: (r: ExecutionResult) => boolean;
}

const everything = () => true;

class Group {
  /** Each member's queue, with what it admits. */
  private readonly members = new Map<LiveQueue<ExecutionResult>, (r: ExecutionResult) => boolean>();
  constructor(
    private readonly iterator: Source,
    private readonly onEmpty: () => void,
  ) {
    void this.pump();
  }

  join(backpressure: Backpressure, sink?: ResultSink, o: MemberOptions = {}): LiveQueue<ExecutionResult> {
    const lag = { conflation: o.conflation, counters: o.counters, sizeOf: RESULT_CONFLATION.bytes };
    const member: LiveQueue<ExecutionResult> = new LiveQueue<ExecutionResult>(backpressure, () => this.leave(member), sink, lag);
    this.members.set(member, o.admits ?? everything);
    return member;
  }

  private leave(member: LiveQueue<ExecutionResult>): void {
    this.members.delete(member);
    if (this.members.size === 0) {
      this.onEmpty();
      void this.iterator.return();
    }
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const r = await this.iterator.next();
        if (r.done) break;
        for (const [m, admits] of this.members) if (admits(r.value)) m.push(r.value);
      }
    } catch (err) {
      for (const m of [...this.members.keys()]) m.fail(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.onEmpty();
      for (const m of [...this.members.keys()]) void m.return();
    }
  }
}

export class SubscriptionGroups {
  private readonly groups = new Map<string, Group>();

  get size(): number {
    return this.groups.size;
  }

  /**
   * `start` runs the subscription (graphql's subscribe through yoga's envelop). With a key,
   * members share one run; without one it runs alone and its stream is returned as it is.
   */
  async subscribe(
    key: string | undefined,
    start: () => Promise<Subscribed> | Subscribed,
    backpressure: Backpressure,
    sink?: ResultSink,
    member?: MemberOptions,
  ): Promise<Subscribed> {
    if (key === undefined) return start();
    let group = this.groups.get(key);
    if (!group) {
      const source = await start();
      if (!isStream(source)) return source; // an error result, nothing to share
      // Another member may have created it while we awaited: join that one, drop ours.
      group = this.groups.get(key);
      if (group) void source.return();
      else {
        const created: Group = new Group(source, () => this.groups.get(key) === created && this.groups.delete(key));
        this.groups.set(key, created);
        group = created;
      }
    }
    return group.join(backpressure, sink, member);
  }
}

type KeyArgs = Pick<ExecutionArgs, 'schema' | 'document' | 'operationName' | 'variableValues'>;

/**
 * Same group ⇔ same subscription (printed, so spacing does not matter), operation name,
 * variables and scope. Undefined — run alone — for anything that is not a subscription, a
 * field that says it is personal (`extensions: { personal: true }`: a stream of its own, like a
 * paced replay, that a late joiner must not see from the middle), one that resumes (an `after`
 * argument that is not null, literally or through a variable or its default), or whose
 * variables do not coerce (graphql reports those itself).
 */
export function groupKey(args: KeyArgs, scope: readonly number[] | undefined): string | undefined {
  const op = getOperationAST(args.document, args.operationName);
  if (!op || op.operation !== 'subscription') return undefined;
  const fields = args.schema.getSubscriptionType()?.getFields() ?? {};
  if (rootFields(args.document, op.selectionSet).some((name) => fields[name]?.extensions?.personal === true)) return undefined;
  const vars = getVariableValues(args.schema, op.variableDefinitions ?? [], args.variableValues ?? {});
  if (!vars.coerced) return undefined;
  // A field marked personal (Subscription.replay, paced from its own start) is never shared.
  const root = op.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  if (root?.kind === Kind.FIELD && args.schema.getSubscriptionType()?.getFields()[root.name.value]?.extensions?.personal) return undefined;
  const variables = vars.coerced;
  let resumes = false;
  visit(args.document, {
    Argument(node) {
      if (node.name.value !== 'after') return;
      const v = node.value;
      if (v.kind === Kind.VARIABLE ? (variables[v.name.value] ?? null) !== null : v.kind !== Kind.NULL) resumes = true;
    },
  });
  if (resumes) return undefined;
  const sorted = Object.fromEntries(Object.entries(variables).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify([print(args.document), args.operationName ?? null, sorted, scope ?? null]);
}

/** The field names an operation selects at its root, through fragments. */
function rootFields(document: DocumentNode, set: SelectionSetNode): string[] {
  return set.selections.flatMap((sel) => {
    if (sel.kind === Kind.FIELD) return [sel.name.value];
    if (sel.kind === Kind.INLINE_FRAGMENT) return rootFields(document, sel.selectionSet);
    const fragment = document.definitions.find((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === sel.name.value);
    return fragment ? rootFields(document, fragment.selectionSet) : [];
  });
}

interface GroupContext {
  scope?: readonly number[];
  /** An SSE request's Last-Event-ID: it resumes, like `after`, so it runs alone. */
  lastEventId?: string;
  /** A graphql-ws socket's token, which a renewal may narrow (session.ts). */
  session?: { admits(r: ExecutionResult): boolean };
  registry?: { lagCounters: LagCounters };
  lagLimits?: LagLimits;
}

/** A member conflates when its field has an `onLag` argument not set to CLOSE (CONFLATE is Subscription.logs's default). */
function memberOptions(args: KeyArgs, ctx: GroupContext): MemberOptions {
  const root = rootField(args);
  const conflates = root !== undefined && root.field.args.some((a) => a.name === 'onLag') && root.args.onLag !== 'close';
  return { conflation: conflates ? RESULT_CONFLATION : undefined, counters: ctx.registry?.lagCounters, admits: ctx.session?.admits };
}

/** Runs grouped subscriptions through `groups`; `transportOf` names the socket a member is read
 * from, `sinkOf` where a member's results may be written directly (splice.ts). */
export function useSubscriptionGroups<C extends GroupContext>(
  groups: SubscriptionGroups,
  transportOf: (ctx: C) => Transport,
  sinkOf: (ctx: C) => ResultSink | undefined = () => undefined,
): Plugin<C> {
  return {
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const ctx = args.contextValue as C;
      const key = ctx.lastEventId === undefined ? groupKey(args, ctx.scope) : undefined;
      if (key === undefined) return; // a personal stream: its own queue is its only buffer
      const backpressure = new Backpressure(transportOf(ctx), ctx.lagLimits);
      const member = memberOptions(args, ctx);
      setSubscribeFn((a) => groups.subscribe(key, () => subscribeFn(a), backpressure, sinkOf(ctx), member));
    },
  };
}
