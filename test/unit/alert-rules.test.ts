// The rules file: what is accepted, and the one line a bad file ends start-up with.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRulesError, loadAlertRules, parseAlertRules } from '../../src/alerts/rules.js';

const battery = { name: 'battery-low', severity: 'warning', kind: 'threshold', field: 'batteryVoltage', below: 11.5, clearAt: 11.8, forSeconds: 10 };
const square = { type: 'Polygon', coordinates: [[[106, -7], [107, -7], [107, -6], [106, -6], [106, -7]]] };

const refusal = (doc: unknown) => {
  try {
    parseAlertRules(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(AlertRulesError);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('alert rules', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'seano-rules-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('accepts the three kinds; a field by its GraphQL name or published key resolves to the key', () => {
    const rules = parseAlertRules({
      rules: [
        battery,
        { name: 'hot', severity: 'critical', kind: 'threshold', field: 'temperature', sensorId: 1, above: 40, vehicles: [2] },
        { name: 'rssi', severity: 'info', kind: 'threshold', field: 'rssi', below: -90 },
        { name: 'silent', severity: 'critical', kind: 'offline' },
        { name: 'harbour', severity: 'info', kind: 'geofence', polygon: square, alertWhen: 'outside' },
      ],
    });
    expect(rules.map((r) => r.kind)).toEqual(['threshold', 'threshold', 'threshold', 'offline', 'geofence']);
    expect(rules[0]).toMatchObject({ key: 'battery_voltage', below: 11.5 });
    expect(rules[1]).toMatchObject({ key: 'temperature', sensorId: 1 });
    expect(parseAlertRules({ rules: [{ ...battery, field: 'battery_voltage' }] })[0]).toMatchObject({ key: 'battery_voltage' });
  });

  it.each([
    [{ rules: [battery, battery] }, 'ALERT_RULES_FILE rules[1] (battery-low).name: "battery-low" is the name of rules[0] too; names identify alerts'],
    [{ rules: [{ ...battery, name: 'a' }, { ...battery, name: 'b' }, { ...battery, below: '11.5' }] }, 'ALERT_RULES_FILE rules[2] (battery-low).below: expected number'],
    [{ rules: [{ ...battery, kind: 'treshold' }] }, "ALERT_RULES_FILE rules[0] (battery-low).kind: Invalid discriminator value. Expected 'threshold' | 'offline' | 'geofence'"],
    [{ rules: [{ ...battery, bellow: 11 }] }, 'ALERT_RULES_FILE rules[0] (battery-low): Unrecognized key: "bellow"'],
    [{ rules: [{ ...battery, severity: 'urgent' }] }, 'ALERT_RULES_FILE rules[0] (battery-low).severity: Invalid option: expected one of "info"|"warning"|"critical"'],
    [{ rules: [{ ...battery, above: 14 }] }, 'ALERT_RULES_FILE rules[0] (battery-low).below: give exactly one of below or above'],
    [{ rules: [{ ...battery, clearAt: 11 }] }, 'ALERT_RULES_FILE rules[0] (battery-low).clearAt: must be at least below (11.5): the value must recover past it'],
    [{ rules: [{ ...battery, field: 'warp' }] }, /^ALERT_RULES_FILE rules\[0\] \(battery-low\)\.field: unknown field "warp"; allowed: speed, /],
    [{ rules: [{ ...battery, vehicles: [0] }] }, /^ALERT_RULES_FILE rules\[0\] \(battery-low\)\.vehicles\[0\]: /],
    [{ rules: [{ name: 'g', severity: 'info', kind: 'geofence', alertWhen: 'inside', polygon: { ...square, coordinates: [[[106, -7], [107, -7], [107, -6], [106, -6]]] } }] },
      'ALERT_RULES_FILE rules[0] (g).polygon.coordinates[0]: a ring must end at its first position'],
    [{ rules: [{ name: 'g', severity: 'info', kind: 'geofence', alertWhen: 'inside', polygon: { ...square, coordinates: [[[106, -97], [107, -7], [107, -6], [106, -97]]] } }] },
      /^ALERT_RULES_FILE rules\[0\] \(g\)\.polygon\.coordinates\[0\]\[0\]\[1\]: /],
    [{ rule: [] }, 'ALERT_RULES_FILE rules: expected array'],
  ])('refuses a bad file in one line naming the rule and field: %#', (doc, line) => {
    const message = refusal(doc);
    expect(message).not.toContain('\n');
    if (typeof line === 'string') expect(message).toBe(line);
    else expect(message).toMatch(line);
  });

  it('reads YAML and JSON files; an unreadable or unparsable file is one line naming the setting', async () => {
    const yaml = join(dir, 'rules.yaml');
    await writeFile(yaml, 'rules:\n  - name: silent\n    severity: critical\n    kind: offline\n');
    expect(loadAlertRules(yaml)).toEqual([{ name: 'silent', severity: 'critical', kind: 'offline' }]);
    const json = join(dir, 'rules.json');
    await writeFile(json, JSON.stringify({ rules: [battery] }));
    expect(loadAlertRules(json)[0]).toMatchObject({ name: 'battery-low', key: 'battery_voltage' });
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'rules: [ {name: x\n');
    expect(() => loadAlertRules(broken)).toThrow(/^ALERT_RULES_FILE=.*broken\.yaml: not valid YAML or JSON: /);
    expect(() => loadAlertRules(join(dir, 'missing.yaml'))).toThrow(/^ALERT_RULES_FILE=.*missing\.yaml: cannot read it \(ENOENT/);
    expect(loadAlertRules(undefined)).toEqual([]);
  });

  it('the example rules file in the repository is valid', () => {
    const rules = loadAlertRules(new URL('../../examples/alert-rules.yaml', import.meta.url).pathname);
    expect(rules.find((r) => r.name === 'battery-low')).toMatchObject({ kind: 'threshold', key: 'battery_voltage', below: 11.5 });
  });
});
