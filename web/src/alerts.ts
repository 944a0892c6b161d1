// The alerts panel (SPEC §10: Query.alerts, Subscription.alerts): what is firing now, newest
// first, and what resolved in the last hours; each vessel's card carries a badge with its count.
// Hidden while the service has no alerts (the field does not exist there).
// The operations are written here, not in client/operations.ts: codegen needs them in the schema.
import type { Cards, Severity } from './cards.js';
import { isMissingField, queryText, type LiveFeed } from './connection.js';
import { ago, h } from './util.js';

export interface Alert {
  id: string;
  vehicleId: number;
  rule: string;
  severity: Severity;
  state: 'FIRING' | 'RESOLVED';
  startedAt: string;
  resolvedAt: string | null;
  value: number | null;
  message: string;
}

const FIELDS = 'id vehicleId rule severity state startedAt resolvedAt value message';
const ALERTS = `query DashboardAlerts($state: AlertState, $from: DateTime, $first: Int) {
  alerts(state: $state, from: $from, first: $first) { edges { node { ${FIELDS} } } }
}`;
const ALERT_CHANGES = `subscription DashboardAlertChanges { alerts { ${FIELDS} } }`;
const RESOLVED_WITHIN_MS = 6 * 3600_000;
const MAX_SHOWN = 200;
const RANK: Record<Severity, number> = { CRITICAL: 3, WARNING: 2, INFO: 1 };

export class AlertsPanel {
  private readonly alerts = new Map<string, Alert>();

  constructor(
    private readonly section: HTMLElement,
    private readonly list: HTMLElement,
    private readonly cards: Cards,
  ) {}

  /** `supported` from the schema; undefined: not known, so try and hide on "no such field". */
  start(feed: LiveFeed, supported: boolean | undefined): void {
    this.section.dataset.supported = String(supported ?? 'unknown');
    if (supported === false) return this.hide();
    feed.watch<{ alerts: Alert }>({
      query: ALERT_CHANGES,
      next: ({ alerts }) => this.update([alerts]),
      subscribed: () => void this.reload(), // changes while the link was down are not replayed
      failed: () => this.hide(),
    });
  }

  private async reload(): Promise<void> {
    try {
      const from = new Date(Date.now() - RESOLVED_WITHIN_MS).toISOString();
      type Page = { alerts: { edges: { node: Alert }[] } };
      const [firing, recent] = await Promise.all([
        queryText<Page>(ALERTS, { state: 'FIRING', first: MAX_SHOWN }),
        queryText<Page>(ALERTS, { state: 'RESOLVED', from, first: MAX_SHOWN }),
      ]);
      this.alerts.clear();
      this.update([...firing.alerts.edges, ...recent.alerts.edges].map((e) => e.node));
      this.section.hidden = false;
      this.section.dataset.supported = 'true';
    } catch (err) {
      if (isMissingField(err)) return this.hide();
      console.warn('loading alerts failed', err);
    }
  }

  private hide(): void {
    this.section.hidden = true;
    this.section.dataset.supported = 'false';
  }

  private update(changed: Alert[]): void {
    for (const a of changed) this.alerts.set(a.id, a);
    const byVessel = new Map<number, Alert[]>();
    for (const a of this.alerts.values()) {
      if (a.state === 'FIRING') byVessel.set(a.vehicleId, [...(byVessel.get(a.vehicleId) ?? []), a]);
    }
    for (const id of new Set([...this.cards.ids, ...byVessel.keys()])) {
      const firing = byVessel.get(id) ?? [];
      const worst = firing.map((a) => a.severity).sort((x, y) => RANK[y] - RANK[x])[0];
      this.cards.setAlerts(id, firing.length, worst);
    }
    this.render();
  }

  private render(): void {
    const shown = [...this.alerts.values()]
      .sort((a, b) => Number(b.state === 'FIRING') - Number(a.state === 'FIRING') || b.startedAt.localeCompare(a.startedAt))
      .slice(0, MAX_SHOWN);
    if (!shown.length) return void this.list.replaceChildren(h('li', { class: 'empty' }, 'No alerts: nothing firing, nothing resolved in the last 6 hours.'));
    const now = Date.now();
    this.list.replaceChildren(
      ...shown.map((a) =>
        h(
          'li',
          { class: 'alert', 'data-state': a.state.toLowerCase(), 'data-severity': a.severity.toLowerCase(), 'data-vehicle-id': String(a.vehicleId) },
          h('span', { class: 'severity' }, a.severity.toLowerCase()),
          h('span', { class: 'who' }, `Vessel ${a.vehicleId} · ${a.rule}`),
          h('span', { class: 'text' }, a.message),
          h(
            'time',
            { datetime: a.startedAt, title: new Date(a.startedAt).toLocaleString() },
            a.state === 'FIRING' ? `started ${ago(now - Date.parse(a.startedAt))}` : `resolved ${ago(now - Date.parse(a.resolvedAt ?? a.startedAt))}`,
          ),
        ),
      ),
    );
  }
}
