// Export slots: a total and a per-client share; a refusal says which, a release frees exactly one.
import { describe, expect, it } from 'vitest';
import { ExportSlots } from '../../src/http/export-slots.js';

describe('ExportSlots', () => {
  it('gives one client at most its share (429), leaving slots for others', () => {
    const slots = new ExportSlots({ maxConcurrent: 4, maxPerClient: 2 });
    expect(slots.admit('a').ok).toBe(true);
    expect(slots.admit('a').ok).toBe(true);
    const third = slots.admit('a');
    expect(third).toMatchObject({ ok: false, status: 429 });
    expect(slots.admit('b').ok).toBe(true);
    expect(slots.running).toBe(3);
  });

  it('refuses everyone once the total is reached (503), whatever their share', () => {
    const slots = new ExportSlots({ maxConcurrent: 2, maxPerClient: 2 });
    slots.admit('a');
    slots.admit('b');
    expect(slots.admit('c')).toMatchObject({ ok: false, status: 503 });
  });

  it('frees a slot on release, once, however often release is called', () => {
    const slots = new ExportSlots({ maxConcurrent: 2, maxPerClient: 1 });
    const a = slots.admit('a');
    const b = slots.admit('b');
    if (!a.ok || !b.ok) throw new Error('not admitted');
    expect(slots.admit('a')).toMatchObject({ ok: false, status: 429 });
    a.release();
    a.release();
    expect(slots.running).toBe(1);
    expect(slots.admit('a').ok).toBe(true); // a's share is free again
    expect(slots.admit('c')).toMatchObject({ ok: false, status: 503 }); // the second release freed nothing more
  });
});
