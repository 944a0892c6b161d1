// One card per vessel: online state, battery, mode, armed, speed, heading, last seen, and a
// badge with its firing alerts. While the page has no link to the service, no card claims to
// know whether its vessel is online: each says "unknown" (the service may hear it meanwhile).
import type { Units } from './units.js';
import type { VehicleLog } from './types.js';
import { ago, fixed, h, vesselColor } from './util.js';

export type Severity = 'INFO' | 'WARNING' | 'CRITICAL';

export const ONLINE_WITHIN_MS = 30_000;

interface Card {
  el: HTMLElement;
  lastSeen: number; // the service's receipt time, ms: the vessel's own clock may be off
  speed: number | null; // m/s, as sent: shown in the chosen unit
  fields: Record<'battery' | 'mode' | 'armed' | 'speed' | 'heading' | 'rssi' | 'online' | 'lastSeen' | 'alerts', HTMLElement>;
}

export class Cards {
  private readonly cards = new Map<number, Card>();
  private linkUp = false;

  constructor(
    private readonly container: HTMLElement,
    private readonly units: Units,
  ) {
    units.onChange(() => {
      for (const c of this.cards.values()) c.fields.speed.textContent = units.speed(c.speed);
    });
  }

  get ids(): number[] {
    return [...this.cards.keys()].sort((a, b) => a - b);
  }

  /** Whether the page hears the service now; without it, online/offline would be a guess. */
  setLink(up: boolean): void {
    if (up === this.linkUp) return;
    this.linkUp = up;
    this.tick();
  }

  /** Firing alerts of a vessel: a badge on its card, coloured by the most severe. */
  setAlerts(vehicleId: number, count: number, worst: Severity | undefined): void {
    const badge = this.card(vehicleId).fields.alerts;
    badge.hidden = count === 0;
    badge.textContent = `${count} alert${count === 1 ? '' : 's'}`;
    badge.dataset.severity = worst?.toLowerCase() ?? '';
  }

  get size(): number {
    return this.cards.size;
  }

  onlineCount(now = Date.now()): number {
    let n = 0;
    for (const c of this.cards.values()) if (now - c.lastSeen <= ONLINE_WITHIN_MS) n++;
    return n;
  }

  /** Any message counts as a sign of life; `at` is an ISO time from the service. */
  seen(vehicleId: number, at: string): void {
    const card = this.card(vehicleId);
    card.lastSeen = Math.max(card.lastSeen, Date.parse(at) || 0);
    this.refresh(card);
  }

  /** Fields a message leaves out keep their last value: vessels may send partial telemetry. */
  telemetry(log: VehicleLog): void {
    const f = this.card(log.vehicleId).fields;
    if (log.batteryVoltage !== null) f.battery.textContent = fixed(log.batteryVoltage, 2, ' V');
    if (log.mode !== null) f.mode.textContent = log.mode;
    if (log.armed !== null) {
      f.armed.textContent = log.armed ? 'armed' : 'disarmed';
      f.armed.dataset.armed = String(log.armed);
    }
    if (log.speed !== null) {
      this.card(log.vehicleId).speed = log.speed;
      f.speed.textContent = this.units.speed(log.speed);
    }
    if (log.heading !== null) f.heading.textContent = fixed(log.heading, 0, '°');
    if (log.rssi !== null) f.rssi.textContent = `${log.rssi} dBm`;
  }

  /** Online and "last seen" move with the clock, not only with messages. */
  tick(now = Date.now()): void {
    for (const card of this.cards.values()) this.refresh(card, now);
  }

  private refresh(card: Card, now = Date.now()): void {
    const online = now - card.lastSeen <= ONLINE_WITHIN_MS;
    const state = this.linkUp ? (online ? 'online' : 'offline') : 'unknown';
    card.el.dataset.online = this.linkUp ? String(online) : 'unknown';
    card.fields.online.textContent = state;
    card.fields.online.title = this.linkUp ? '' : 'no link to the service: this page cannot tell';
    card.fields.lastSeen.textContent = card.lastSeen ? ago(now - card.lastSeen) : '–';
    card.fields.lastSeen.title = card.lastSeen ? new Date(card.lastSeen).toLocaleString() : '';
  }

  private card(vehicleId: number): Card {
    const existing = this.cards.get(vehicleId);
    if (existing) return existing;
    const dd = (cls: string) => h('dd', { class: cls }, '–');
    const fields = {
      battery: dd('battery'),
      mode: dd('mode'),
      armed: dd('armed'),
      speed: dd('speed'),
      heading: dd('heading'),
      rssi: dd('rssi'),
      online: h('span', { class: 'online' }, 'unknown'),
      alerts: h('span', { class: 'alert-badge', hidden: '' }),
      lastSeen: h('span', { class: 'last-seen' }, '–'),
    };
    const cell = (label: string, value: HTMLElement) => h('div', {}, h('dt', {}, label), value);
    const el = h(
      'article',
      { class: 'vehicle-card', 'data-vehicle-id': String(vehicleId), 'data-online': 'unknown', style: `--vessel:${vesselColor(vehicleId)}` },
      h('header', {}, h('span', { class: 'swatch', 'aria-hidden': 'true' }), h('h3', {}, `Vessel ${vehicleId}`), fields.alerts, fields.online),
      h(
        'dl',
        {},
        cell('Battery', fields.battery),
        cell('Speed', fields.speed),
        cell('Heading', fields.heading),
        cell('Mode', fields.mode),
        cell('Armed', fields.armed),
        cell('RSSI', fields.rssi),
      ),
      h('footer', {}, 'last seen ', fields.lastSeen),
    );
    const card: Card = { el, lastSeen: 0, speed: null, fields };
    this.cards.set(vehicleId, card);
    // Keep cards in vessel order, whatever order they first spoke in.
    this.container.querySelector('.empty')?.remove();
    const next = [...this.cards.keys()].filter((id) => id > vehicleId).sort((a, b) => a - b)[0];
    this.container.insertBefore(el, next === undefined ? null : this.cards.get(next)!.el);
    return card;
  }
}
