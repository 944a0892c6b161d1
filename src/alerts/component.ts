// The alerts component: rules from ALERT_RULES_FILE, evaluated on the committed stream (the
// LogHub) and the fleet's ONLINE/OFFLINE changes; each transition stored, then published on
// the pubsub so every instance's subscribers see it. Storing goes through one serial queue, so
// the changes of one (rule, vehicle) are stored in the order they happened.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { AlertRepository } from '../db/alerts.js';
import type { FleetState } from '../live/fleet.js';
import type { LogHub } from '../live/hub.js';
import type { LogPubSub } from '../pubsub/index.js';
import { AlertEvaluator, type Transition } from './evaluator.js';
import { AlertFeed } from './feed.js';
import { loadAlertRules, type AlertRule } from './rules.js';

export interface AlertsDeps {
  orm: MikroORM;
  hub: LogHub;
  fleet: FleetState;
  pubsub: LogPubSub;
  logger: Logger;
  /** Every known vehicle id: offline rules start from the fleet state as it is. */
  vehicleIds: () => Promise<number[]>;
  now?: () => Date;
}

export interface AlertsConfig {
  ALERT_RULES_FILE?: string;
}

export interface Alerts {
  rules: readonly AlertRule[];
  repository: AlertRepository;
  feed: AlertFeed;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const RETRY_MS = 1_000; // a failed store (database outage) is tried again this often
const MAX_PENDING = 10_000; // transitions waiting to be stored; past it new ones are dropped, logged

/** Reads and validates the rules file at once: a bad file throws AlertRulesError (one line). */
export function createAlerts(deps: AlertsDeps, config: AlertsConfig): Alerts {
  const rules = loadAlertRules(config.ALERT_RULES_FILE);
  const repository = new AlertRepository(deps.orm);
  const feed = new AlertFeed(deps.pubsub, deps.logger);
  const now = deps.now ?? (() => new Date());
  const unlisten: (() => void)[] = [];
  let chain = Promise.resolve();
  let pending = 0;
  let stopping = false;

  const store = async (t: Transition): Promise<void> => {
    for (;;) {
      try {
        const stored = t.change === 'fire' ? await repository.fire(t) : await repository.resolve(t.rule, t.vehicleId, t.at);
        // Nothing stored: another instance stored this change first, and published it.
        if (stored) await deps.pubsub.publish('alert', stored);
        deps.logger.info({ rule: t.rule, vehicleId: t.vehicleId, change: t.change, stored: stored !== undefined }, t.message);
        return;
      } catch (err) {
        if (stopping) return deps.logger.error({ err, rule: t.rule, vehicleId: t.vehicleId }, 'alert change not stored (stopping)');
        deps.logger.warn({ err, rule: t.rule, vehicleId: t.vehicleId }, 'alert change not stored; retrying');
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  };
  const enqueue = (transitions: Transition[]) => {
    for (const t of transitions) {
      if (pending >= MAX_PENDING) {
        deps.logger.error({ rule: t.rule, vehicleId: t.vehicleId, change: t.change }, 'alert change dropped: too many waiting to be stored');
        continue;
      }
      pending++;
      chain = chain.then(() => store(t)).finally(() => pending--);
    }
  };

  return {
    rules,
    repository,
    feed,
    async start() {
      const open = await repository.open();
      const evaluator = new AlertEvaluator(rules, open);
      unlisten.push(deps.hub.listen((e) => enqueue(evaluator.observe(e))));
      unlisten.push(deps.fleet.onChange((c) => enqueue(evaluator.status(c, now()))));
      const fleet = (await deps.vehicleIds()).flatMap((id) => {
        const v = deps.fleet.get(id);
        return v ? [{ vehicleId: id, status: v.status, lastSeenAt: v.lastSeenAt }] : [];
      });
      enqueue(evaluator.start(open, fleet, now()));
    },
    async stop() {
      stopping = true;
      for (const off of unlisten.splice(0)) off();
      await chain;
      await feed.stop();
    },
  };
}
