// One card per vessel: online state, battery, mode, armed, speed, heading, last seen.
import type { VehicleLog } from './types.js';
import { ago, fixed, h, vesselColor } from './util.js';

export const ONLINE_WITHIN_MS = 30_000;

interface Card {
  el: HTMLElement;
  lastSeen: number; // the service's receipt time, ms: the vessel's own clock may be off
  fields: Record<'battery' | 'mode' | 'armed' | 'speed' | 'heading' | 'rssi' | 'online' | 'lastSeen', HTMLElement>;
}

export class Cards {
  private readonly cards = new Map<number, Card>();

  constructor(private readonly container: HTMLElement) {}

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
    if (log.speed !== null) f.speed.textContent = fixed(log.speed, 1, ' m/s');
    if (log.heading !== null) f.heading.textContent = fixed(log.heading, 0, '°');
    if (log.rssi !== null) f.rssi.textContent = `${log.rssi} dBm`;
  }

  /** Online and "last seen" move with the clock, not only with messages. */
  tick(now = Date.now()): void {
    for (const card of this.cards.values()) this.refresh(card, now);
  }

  private refresh(card: Card, now = Date.now()): void {
    const online = now - card.lastSeen <= ONLINE_WITHIN_MS;
    card.el.dataset.online = String(online);
    card.fields.online.textContent = online ? 'online' : 'offline';
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
      online: h('span', { class: 'online' }, 'offline'),
      lastSeen: h('span', { class: 'last-seen' }, '–'),
    };
    const cell = (label: string, value: HTMLElement) => h('div', {}, h('dt', {}, label), value);
    const el = h(
      'article',
      { class: 'vehicle-card', 'data-vehicle-id': String(vehicleId), 'data-online': 'false', style: `--vessel:${vesselColor(vehicleId)}` },
      h('header', {}, h('span', { class: 'swatch', 'aria-hidden': 'true' }), h('h3', {}, `Vessel ${vehicleId}`), fields.online),
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
    const card: Card = { el, lastSeen: 0, fields };
    this.cards.set(vehicleId, card);
    // Keep cards in vessel order, whatever order they first spoke in.
    this.container.querySelector('.empty')?.remove();
    const next = [...this.cards.keys()].filter((id) => id > vehicleId).sort((a, b) => a - b)[0];
    this.container.insertBefore(el, next === undefined ? null : this.cards.get(next)!.el);
    return card;
  }
}
