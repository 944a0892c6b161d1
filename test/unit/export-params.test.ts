// The export's query string parser: every parameter, its errors naming it, and values outside
// their range refused as a problem (a 400), never thrown (a 500).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseExportParams } from '../../src/http/export-params.js';
import { LOG_TYPES, TELEMETRY_TYPE } from '../../src/logs/kinds.js';
import { MAX_VEHICLE_ID } from '../../src/logs/params.js';

const parse = (query: string) => parseExportParams(new URLSearchParams(query));
const problem = (query: string) => {
  const r = parse(query);
  if (!('error' in r)) throw new Error(`${query} was accepted: ${JSON.stringify(r)}`);
  return r.error;
};

describe('parseExportParams', () => {
  it('with no parameters: everything, as CSV', () => {
    expect(parse('')).toEqual({ format: 'csv' });
  });

  it('reads vehicle_id within 1..MAX_VEHICLE_ID, surrounding spaces allowed', () => {
    expect(parse('vehicle_id=1')).toEqual({ format: 'csv', vehicleId: 1 });
    expect(parse(`vehicle_id=${MAX_VEHICLE_ID}`)).toEqual({ format: 'csv', vehicleId: MAX_VEHICLE_ID });
    expect(parse('vehicle_id=%207%20')).toEqual({ format: 'csv', vehicleId: 7 });
  });

  it.each(['0', '-1', '01', '1.5', '1e3', 'abc', '', `${MAX_VEHICLE_ID + 1}`, '99999999999999999999'])('refuses vehicle_id=%s, naming it', (v) => {
    expect(problem(`vehicle_id=${encodeURIComponent(v)}`)).toContain('vehicle_id');
  });

  it('reads types comma-separated or repeated, drops duplicates, keeps the order given', () => {
    const [a, b, c] = LOG_TYPES;
    expect(parse(`type=${b},${a}`)).toEqual({ format: 'csv', types: [b, a] });
    expect(parse(`type=${a}&type=${c}&type=${a}`)).toEqual({ format: 'csv', types: [a, c] });
    expect(parse(`type=%20${TELEMETRY_TYPE}%20`)).toEqual({ format: 'csv', types: [TELEMETRY_TYPE] });
  });

  it.each(['gps_log', `${LOG_TYPES[0]},`, '', LOG_TYPES[0]!.toUpperCase()])('refuses type=%s, listing the kinds', (t) => {
    const error = problem(`type=${encodeURIComponent(t)}`);
    expect(error).toContain('type');
    for (const kind of LOG_TYPES) expect(error).toContain(kind);
  });

  it('reads from (inclusive) and to (exclusive): ISO with or without zone, date only', () => {
    expect(parse('from=2025-10-18T16:30:00Z&to=2025-10-19')).toEqual({
      format: 'csv', from: new Date('2025-10-18T16:30:00Z'), to: new Date('2025-10-19T00:00:00Z'),
    });
    expect(parse('from=2025-10-18T16:30:00.123')).toEqual({ format: 'csv', from: new Date('2025-10-18T16:30:00.123Z') });
    expect(parse('to=2025-10-18T18:30:00%2B02:00')).toEqual({ format: 'csv', to: new Date('2025-10-18T16:30:00Z') });
  });

  it.each([
    ['from=yesterday', 'from'],
    ['to=2025-13-01T00:00:00Z', 'to'],
    ['from=1760000000000', 'from'],
    ['from=10000-01-01', 'from'],
    ['from=2025-10-19&to=2025-10-18', 'to'],
    ['from=2025-10-19&to=2025-10-19', 'to'],
  ])('refuses %s, naming %s', (query, name) => {
    expect(problem(query)).toContain(name);
  });

  it('reads format csv or ndjson, refuses others', () => {
    expect(parse('format=ndjson')).toEqual({ format: 'ndjson' });
    expect(parse('format=csv')).toEqual({ format: 'csv' });
    expect(problem('format=xlsx')).toContain('format');
    expect(problem('format=CSV')).toContain('format');
  });

  it('refuses unknown and repeated parameters, naming them', () => {
    expect(problem('vehicle=1')).toContain('"vehicle"');
    expect(problem('vehicle_id=1&limit=5')).toContain('"limit"');
    expect(problem('vehicle_id=1&vehicle_id=2')).toContain('vehicle_id');
    expect(problem('format=csv&format=ndjson')).toContain('format');
    expect(problem('from=2025-10-18&from=2025-10-19')).toContain('from');
  });

  it('never throws: any query string is a filter or a problem', () => {
    const names = fc.constantFrom('vehicle_id', 'type', 'from', 'to', 'format', 'x');
    fc.assert(
      fc.property(fc.array(fc.tuple(names, fc.string()), { maxLength: 6 }), (pairs) => {
        const r = parseExportParams(new URLSearchParams(pairs));
        expect(typeof r).toBe('object');
        if ('error' in r) expect(r.error.length).toBeGreaterThan(0);
        else if (r.vehicleId !== undefined) expect(r.vehicleId).toBeLessThanOrEqual(MAX_VEHICLE_ID);
      }),
    );
  });
});
