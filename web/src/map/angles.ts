// Angles as charts print them, and the graticule's spacing: pure, so unit tests reach them
// without a browser.

// In minutes of arc.
const STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 2700];

/** The smallest step (minutes) at least `minDeg` degrees long. */
export function pickStep(minDeg: number): number {
  return STEPS.find((m) => m / 60 >= minDeg) ?? STEPS[STEPS.length - 1]!;
}

/** A longitude from a world copy east or west of the first, back into −180..180. */
export const wrap = (lon: number) => ((((lon + 180) % 360) + 360) % 360) - 180;

/** 6°12′S, 106°50.5′E: degrees and minutes, as charts and GPS plotters show them. */
export function formatAngle(value: number, stepMinutes: number, pos: string, neg: string): string {
  const hemi = value > 0 ? pos : value < 0 ? neg : '';
  const total = Math.round(Math.abs(value) * 600) / 10; // minutes, to 0.1′
  const deg = Math.floor(total / 60 + 1e-9);
  const min = total - deg * 60;
  if (stepMinutes >= 60 && min < 0.05) return `${deg}°${hemi}`;
  const digits = stepMinutes < 1 ? 1 : 0;
  return `${deg}°${min.toFixed(digits).padStart(digits ? 4 : 2, '0')}′${hemi}`;
}
