import { describe, expect, it } from 'vitest';
import { parseTopic, topicFilters } from '../../src/ingest/topics.js';

describe('parseTopic', () => {
  it('reads the vehicle id and log type', () => {
    expect(parseTopic('seano/1/raw_log', 'seano')).toEqual({ ok: true, vehicleId: 1, type: 'raw_log' });
    expect(parseTopic('seano/2147483647/vehicle_log', 'seano')).toEqual({ ok: true, vehicleId: 2147483647, type: 'vehicle_log' });
    expect(parseTopic('fleet/a/42/sensor_log', 'fleet/a')).toEqual({ ok: true, vehicleId: 42, type: 'sensor_log' });
  });

  it.each([
    ['seano/0/raw_log', 'invalid vehicle id'],
    ['seano/-1/raw_log', 'invalid vehicle id'],
    ['seano/007/raw_log', 'invalid vehicle id'],
    ['seano/1e3/raw_log', 'invalid vehicle id'],
    ['seano/2147483648/raw_log', 'invalid vehicle id'],
    ['seano/abc/raw_log', 'invalid vehicle id'],
    ['seano/1/other_log', 'unknown log type'],
    ['seano/1/raw_log/extra', 'topic must be'],
    ['other/1/raw_log', 'does not start with'],
  ])('refuses %s with a reason', (topic, reason) => {
    const r = parseTopic(topic, 'seano');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });

  it('subscribes to the three topics under the prefix', () => {
    expect(topicFilters('seano')).toEqual(['seano/+/raw_log', 'seano/+/sensor_log', 'seano/+/vehicle_log']);
  });
});
