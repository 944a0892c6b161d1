// The dashboard's pure parts: units (knots, nautical miles, the scale bar's lengths) and the
// graticule's labels and spacing. The page itself is tested in a browser (test/browser/).
import { describe, expect, it } from 'vitest';
import { formatAngle, pickStep, wrap } from '../../web/src/map/angles.js';
import { Units } from '../../web/src/units.js';

describe('units', () => {
  const nautical = new Units(); // no localStorage here: the default
  const metric = new Units();
  metric.set('metric');

  it('speaks knots and nautical miles by default, m/s and km on request', () => {
    expect(nautical.system).toBe('nautical');
    expect(nautical.speed(2.5)).toBe('4.9 kn');
    expect(nautical.speed(null)).toBe('–');
    expect(metric.speed(2.5)).toBe('2.5 m/s');
    expect(nautical.distance(1852)).toBe('1.00 nm');
    expect(nautical.distance(37_040)).toBe('20.0 nm');
    expect(metric.distance(640)).toBe('640 m');
    expect(metric.distance(1852)).toBe('1.85 km');
  });

  it('picks a 1-2-5 scale bar that fits', () => {
    // 10 m per pixel, 140 px at most: 1400 m fit → 1 km (100 px) or 0.5 nm (92.6 px).
    expect(metric.scaleBar(10, 140)).toEqual({ px: 100, label: '1 km' });
    const bar = nautical.scaleBar(10, 140);
    expect(bar.label).toBe('0.5 nm');
    expect(bar.px).toBeCloseTo(92.6, 1);
    expect(metric.scaleBar(0.1, 140).label).toBe('10 m');
    expect(nautical.scaleBar(1, 140).label).toBe('0.05 nm');
  });

  it('tells listeners of a change, once', () => {
    const u = new Units();
    const seen: string[] = [];
    u.onChange((s) => seen.push(s));
    u.set('metric');
    u.set('metric');
    u.set('nautical');
    expect(seen).toEqual(['metric', 'nautical']);
  });
});

describe('graticule', () => {
  it('labels in degrees and minutes, with tenths when the lines are closer than a minute', () => {
    expect(formatAngle(-6.2, 1, 'N', 'S')).toBe('6°12′S');
    expect(formatAngle(106.841667, 0.5, 'E', 'W')).toBe('106°50.5′E');
    expect(formatAngle(-6.1, 0.1, 'N', 'S')).toBe('6°06.0′S');
    expect(formatAngle(30, 1800, 'N', 'S')).toBe('30°N');
    expect(formatAngle(0, 1800, 'E', 'W')).toBe('0°');
    expect(formatAngle(59.99999, 1, 'N', 'S')).toBe('60°00′N'); // rounds up into the next degree
  });

  it('spaces lines by round steps and wraps world copies back', () => {
    expect(pickStep(0.001)).toBe(0.1);
    expect(pickStep(0.02)).toBe(2); // 1.2′ → 2′
    expect(pickStep(0.4)).toBe(30);
    expect(pickStep(100)).toBe(2700);
    expect(wrap(190)).toBe(-170);
    expect(wrap(-190)).toBe(170);
  });
});
