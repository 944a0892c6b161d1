// One execution per distinct subscription, not per subscriber. graphql-ws would run every
// event through `execute` once for each subscriber; subscribers of the same operation with the
// same variables and the same token scope get the same result, so a group executes it once and
// hands the same result object to every member. A resuming subscription (`after`) is personal
// and runs alone.
import type { ExecutionResult } from 'graphql';
import { BoundedQueue, SlowConsumerError } from '../live/queue.js';
import { counted } from '../live/counted.js';

type Source = AsyncIterableIterator<ExecutionResult>;

export interface GroupHooks {
  onJoin(): void;
  onLeave(): void;
  onSlowConsumer(): void;
}

class Group {
  private readonly members = new Set<BoundedQueue<ExecutionResult>>();

  constructor(
    private readonly source: Source,
    private readonly onEmpty: () => void,
  ) {
    void this.pump();
  }

  join(capacity: number): BoundedQueue<ExecutionResult> {
    const member: BoundedQueue<ExecutionResult> = new BoundedQueue<ExecutionResult>(capacity, () => this.leave(member));
    this.members.add(member);
    return member;
  }

  private leave(member: BoundedQueue<ExecutionResult>): void {
    this.members.delete(member);
    if (this.members.size === 0) {
      this.onEmpty();
      void this.source.return?.();
    }
  }

  private async pump(): Promise<void> {
    try {
      for await (const result of { [Symbol.asyncIterator]: () => this.source }) {
        for (const m of this.members) m.push(result);
      }
    } catch (err) {
      for (const m of this.members) m.fail(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.onEmpty();
      for (const m of [...this.members]) void m.return();
    }
  }
}

export class SubscriptionGroups {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly capacity: number,
    private readonly hooks: GroupHooks,
  ) {}

  get size(): number {
    return this.groups.size;
  }

  /**
   * `start` runs the subscription (graphql's subscribe through yoga's envelop). With a key,
   * members share one run; without one (a resuming subscription) it runs alone.
   */
  async subscribe(key: string | undefined, start: () => Promise<Source | ExecutionResult>): Promise<Source | ExecutionResult> {
    let group = key === undefined ? undefined : this.groups.get(key);
    if (!group) {
      const source = await start();
      if (!(Symbol.asyncIterator in source)) return source; // an error result, nothing to share
      if (key === undefined) return this.track(new Group(source, () => {}).join(this.capacity));
      // Another member may have created it while we awaited: join that one, drop ours.
      group = this.groups.get(key);
      if (group) void source.return?.();
      else {
        const created: Group = new Group(source, () => this.groups.get(key) === created && this.groups.delete(key));
        this.groups.set(key, created);
        group = created;
      }
    }
    return this.track(group.join(this.capacity));
  }

  private track(member: BoundedQueue<ExecutionResult>): Source {
    return counted(member, this.hooks.onJoin, this.hooks.onLeave, (e) => e instanceof SlowConsumerError && this.hooks.onSlowConsumer());
  }
}
