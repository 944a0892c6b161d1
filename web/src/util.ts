// Small DOM and formatting helpers shared by the dashboard's views.

/** Creates an element. Text always goes through textContent: log payloads are untrusted. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/**
 * Coalesces many updates into one redraw per frame. A hidden tab gets no animation frames, so
 * there a timeout keeps the page current (it is what an operator sees on switching back).
 */
export function scheduler(draw: () => void): () => void {
  let pending = false;
  const run = () => {
    pending = false;
    draw();
  };
  return () => {
    if (pending) return;
    pending = true;
    if (document.hidden) setTimeout(run, 250);
    else requestAnimationFrame(run);
  };
}

// Tableau 10: distinguishable on white, in print and for most colour-blind viewers.
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** One colour per vessel, the same on its card, track, chart line and log badge. */
export function vesselColor(vehicleId: number): string {
  return PALETTE[(vehicleId - 1 + PALETTE.length) % PALETTE.length] ?? '#4e79a7';
}

export function clockTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

export function fixed(value: number | null | undefined, digits: number, unit = ''): string {
  return value === null || value === undefined ? '–' : `${value.toFixed(digits)}${unit}`;
}
