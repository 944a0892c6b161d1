// Speed and distance as the operator chose: knots and nautical miles (the default at sea) or
// m/s and kilometres. The service always speaks m/s and metres; only the page converts.
// The choice is kept in localStorage, so it survives reloads and is the same in every tab.

export type UnitSystem = 'nautical' | 'metric';

const KEY = 'seano.units';
const KNOTS_PER_MPS = 3600 / 1852;
export const METRES_PER_NM = 1852;

type Listener = (u: UnitSystem) => void;

export class Units {
  private current: UnitSystem;
  private readonly listeners: Listener[] = [];

  constructor() {
    this.current = readStored() ?? 'nautical';
  }

  get system(): UnitSystem {
    return this.current;
  }

  set(system: UnitSystem): void {
    if (system === this.current) return;
    this.current = system;
    try {
      localStorage.setItem(KEY, system);
    } catch {
      // Private mode or storage full: the choice holds for this page only.
    }
    for (const l of this.listeners) l(system);
  }

  onChange(l: Listener): void {
    this.listeners.push(l);
  }

  get speedUnit(): string {
    return this.current === 'nautical' ? 'kn' : 'm/s';
  }

  /** m/s → the chosen unit's number. */
  speedValue(mps: number): number {
    return this.current === 'nautical' ? mps * KNOTS_PER_MPS : mps;
  }

  speed(mps: number | null | undefined): string {
    return mps === null || mps === undefined ? '–' : `${this.speedValue(mps).toFixed(1)} ${this.speedUnit}`;
  }

  distance(metres: number | null | undefined): string {
    if (metres === null || metres === undefined) return '–';
    if (this.current === 'nautical') return `${(metres / METRES_PER_NM).toFixed(metres < 18_520 ? 2 : 1)} nm`;
    return metres < 1000 ? `${Math.round(metres)} m` : `${(metres / 1000).toFixed(metres < 10_000 ? 2 : 1)} km`;
  }

  /**
   * The longest 1-2-5 length that fits in `maxPx` at `metresPerPx`, for a scale bar: its length
   * in pixels and its label.
   */
  scaleBar(metresPerPx: number, maxPx: number): { px: number; label: string } {
    const unit = this.current === 'nautical' ? METRES_PER_NM : 1;
    const max = (metresPerPx * maxPx) / unit; // in nm or m
    const pow = 10 ** Math.floor(Math.log10(max));
    const nice = [5, 2, 1].map((m) => m * pow).find((m) => m <= max) ?? pow;
    const px = (nice * unit) / metresPerPx;
    if (this.current === 'nautical') return { px, label: `${trim(nice)} nm` };
    return { px, label: nice >= 1000 ? `${trim(nice / 1000)} km` : `${trim(nice)} m` };
  }

  /** Wires the two buttons of the toggle in the top bar. */
  bindToggle(buttons: HTMLButtonElement[]): void {
    const show = () => {
      for (const b of buttons) b.setAttribute('aria-pressed', String(b.value === this.current));
    };
    for (const b of buttons) b.addEventListener('click', () => this.set(b.value as UnitSystem));
    this.onChange(show);
    show();
  }
}

function readStored(): UnitSystem | undefined {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'nautical' || v === 'metric' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** 0.1 + 0.2 style noise off, at most 4 significant digits. */
function trim(n: number): string {
  return String(Number(n.toPrecision(4)));
}
