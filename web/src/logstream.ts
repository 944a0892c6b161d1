// The live log: newest first, at most MAX_SHOWN lines, filterable by vessel and type. Lines are
// added in batches once per frame, so a busy fleet costs one DOM update per frame, not per message.
import type { Units } from './units.js';
import type { Log } from './types.js';
import { clockTime, fixed, h, scheduler, vesselColor } from './util.js';

const MAX_SHOWN = 300;
const MAX_KEPT = 2_000; // kept beyond what is shown, so a filter has lines to show at once
const TYPE_LABEL = { RAW_LOG: 'raw', SENSOR_LOG: 'sensor', VEHICLE_LOG: 'vehicle' } as const;

export class LogStream {
  private readonly kept: Log[] = []; // oldest first
  private pending: Log[] = [];
  private rebuild = true;
  private readonly vehicles = new Set<number>();
  private readonly redraw = scheduler(() => this.draw());

  constructor(
    private readonly list: HTMLElement,
    private readonly vehicleFilter: HTMLSelectElement,
    private readonly typeFilter: HTMLSelectElement,
    private readonly units: Units,
  ) {
    const rebuild = () => {
      this.rebuild = true;
      this.redraw();
    };
    for (const sel of [vehicleFilter, typeFilter]) sel.addEventListener('change', rebuild);
    units.onChange(rebuild);
    this.redraw();
  }

  add(log: Log): void {
    this.kept.push(log);
    if (this.kept.length > MAX_KEPT) this.kept.splice(0, this.kept.length - MAX_KEPT);
    this.pending.push(log);
    if (!this.vehicles.has(log.vehicleId)) this.addVehicleOption(log.vehicleId);
    this.redraw();
  }

  private addVehicleOption(id: number): void {
    this.vehicles.add(id);
    const next = [...this.vehicleFilter.options].find((o) => o.value !== '' && Number(o.value) > id);
    this.vehicleFilter.insertBefore(new Option(`vessel ${id}`, String(id)), next ?? null);
  }

  private matches(log: Log): boolean {
    const v = this.vehicleFilter.value;
    const t = this.typeFilter.value;
    return (v === '' || Number(v) === log.vehicleId) && (t === '' || t === log.type);
  }

  private draw(): void {
    const source = this.rebuild ? this.kept : this.pending;
    const lines: HTMLElement[] = [];
    for (let i = source.length - 1; i >= 0 && lines.length < MAX_SHOWN; i--) {
      const log = source[i]!;
      if (this.matches(log)) lines.push(line(log, this.units));
    }
    if (this.rebuild) this.list.replaceChildren(...lines);
    else if (lines.length) {
      this.list.querySelector(':scope > .empty')?.remove();
      this.list.prepend(...lines);
    }
    while (this.list.childElementCount > MAX_SHOWN) this.list.lastElementChild!.remove();
    if (this.list.childElementCount === 0) this.list.append(this.emptyState());
    this.pending = [];
    this.rebuild = false;
  }

  /** What an empty list means: nothing received yet, or nothing that the filters let through. */
  private emptyState(): HTMLElement {
    const filters = [this.vehicleFilter, this.typeFilter].filter((s) => s.value !== '').map((s) => s.selectedOptions[0]?.text ?? s.value);
    const text = filters.length
      ? `No lines for ${filters.join(' · ')} among the last ${this.kept.length}. Choose "all" to see the others.`
      : 'No log lines yet: they appear here as vessels send them.';
    return h('li', { class: 'empty', 'data-filtered': String(filters.length > 0) }, text);
  }
}

function line(log: Log, units: Units): HTMLElement {
  const type = TYPE_LABEL[log.type];
  return h(
    'li',
    { class: 'log-line', 'data-id': log.id, 'data-vehicle-id': String(log.vehicleId), 'data-type': type },
    h('time', { datetime: log.timestamp, title: `received ${log.receivedAt}` }, clockTime(log.timestamp)),
    h('span', { class: 'vid', style: `--vessel:${vesselColor(log.vehicleId)}` }, String(log.vehicleId)),
    h('span', { class: `type type-${type}` }, type),
    h('span', { class: 'text' }, summary(log, units)),
  );
}

function summary(log: Log, units: Units): string {
  switch (log.__typename) {
    case 'RawLog':
      return log.message;
    case 'SensorLog': {
      const data = log.data && typeof log.data === 'object' ? Object.entries(log.data as Record<string, unknown>) : [];
      const shown = data.filter(([k]) => k !== 'timestamp').map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
      return `sensor ${log.sensorId}  ${shown.join('  ')}`;
    }
    case 'VehicleLog': {
      const parts = [
        log.mode ?? '',
        log.armed === null ? '' : log.armed ? 'armed' : 'disarmed',
        log.batteryVoltage === null ? '' : fixed(log.batteryVoltage, 2, ' V'),
        log.speed === null ? '' : units.speed(log.speed),
        log.heading === null ? '' : fixed(log.heading, 0, '°'),
        log.latitude === null || log.longitude === null ? '' : `${log.latitude.toFixed(5)}, ${log.longitude.toFixed(5)}`,
      ];
      return parts.filter(Boolean).join('  ');
    }
  }
}
