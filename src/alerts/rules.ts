// The alert rules file (ALERT_RULES_FILE, SPEC §10): YAML or JSON (JSON is YAML 1.2), read and
// validated once at start. A bad file ends start-up with one line naming the rule and the field,
// e.g. `ALERT_RULES_FILE rules[2] (battery-low).below: expected number`.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SERIES_FIELDS } from '../logs/fields.js';
import { MAX_VEHICLE_ID } from '../logs/params.js';

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Longest a condition may have to hold before it fires: a day. */
const MAX_FOR_SECONDS = 86_400;
/** Rules in one file; each is evaluated per vessel on every log, so keep it a list a person reads. */
const MAX_RULES = 1000;
const SENSOR_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const finite = z.number().finite();
const common = {
  name: z.string().trim().min(1).max(100),
  severity: z.enum(SEVERITIES),
  vehicles: z.array(z.int().min(1).max(MAX_VEHICLE_ID)).min(1).optional(),
  /** The alert's text instead of the generated one, e.g. "battery below 11.5V". */
  message: z.string().min(1).max(500).optional(),
};

const threshold = z.strictObject({
  ...common,
  kind: z.literal('threshold'),
  field: z.string().min(1),
  sensorId: z.int32().optional(),
  below: finite.optional(),
  above: finite.optional(),
  forSeconds: finite.min(0).max(MAX_FOR_SECONDS).optional(),
  clearAt: finite.optional(),
});

const offline = z.strictObject({ ...common, kind: z.literal('offline') });

const position = z.tuple([finite.min(-180).max(180), finite.min(-90).max(90)]).rest(z.number());
const ring = z
  .array(position)
  .min(4, 'a ring needs at least 4 positions (the first repeated last)')
  .refine((r) => r.length < 4 || (r[0]![0] === r[r.length - 1]![0] && r[0]![1] === r[r.length - 1]![1]), 'a ring must end at its first position');
const geofence = z.strictObject({
  ...common,
  kind: z.literal('geofence'),
  polygon: z.strictObject({ type: z.literal('Polygon'), coordinates: z.array(ring).min(1) }),
  alertWhen: z.enum(['inside', 'outside']),
});

const file = z.strictObject({ rules: z.array(z.discriminatedUnion('kind', [threshold, offline, geofence])).max(MAX_RULES) });

type ParsedRule = z.output<typeof file>['rules'][number];
export type GeofenceRule = Extract<ParsedRule, { kind: 'geofence' }>;
export type OfflineRule = Extract<ParsedRule, { kind: 'offline' }>;
/** A threshold rule with its field resolved to the key in the log's data. */
export type ThresholdRule = Extract<ParsedRule, { kind: 'threshold' }> & { key: string };
export type AlertRule = ThresholdRule | OfflineRule | GeofenceRule;

/** The file is unreadable or invalid; the message is the one line start-up ends with. */
export class AlertRulesError extends Error {}

/** Reads and validates the rules file; no file configured: no rules. */
export function loadAlertRules(path: string | undefined): AlertRule[] {
  if (path === undefined) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AlertRulesError(`ALERT_RULES_FILE=${path}: cannot read it (${(err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new AlertRulesError(`ALERT_RULES_FILE=${path}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseAlertRules(doc);
}

/** Validates a parsed rules document (pure: the tests' entry). */
export function parseAlertRules(doc: unknown): AlertRule[] {
  const r = file.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw refusal(doc, issue.path, issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.message);
  }
  const seen = new Map<string, number>();
  return r.data.rules.map((rule, i) => {
    const other = seen.get(rule.name);
    if (other !== undefined) throw refusal(doc, ['rules', i, 'name'], `"${rule.name}" is the name of rules[${other}] too; names identify alerts`);
    seen.set(rule.name, i);
    return rule.kind === 'threshold' ? checkThreshold(doc, i, rule) : rule;
  });
}

function checkThreshold(doc: unknown, i: number, rule: Extract<ParsedRule, { kind: 'threshold' }>): ThresholdRule {
  const at = (field: string, message: string) => refusal(doc, ['rules', i, field], message);
  if ((rule.below === undefined) === (rule.above === undefined)) throw at('below', 'give exactly one of below or above');
  if (rule.clearAt !== undefined) {
    if (rule.below !== undefined && rule.clearAt < rule.below) throw at('clearAt', `must be at least below (${rule.below}): the value must recover past it`);
    if (rule.above !== undefined && rule.clearAt > rule.above) throw at('clearAt', `must be at most above (${rule.above}): the value must recover past it`);
  }
  if (rule.sensorId !== undefined) {
    if (!SENSOR_KEY.test(rule.field)) throw at('field', "must be a key of the sensor's data (at most 64 letters, digits or _)");
    return { ...rule, key: rule.field };
  }
  const key = SERIES_FIELDS[rule.field] ?? (Object.values(SERIES_FIELDS).includes(rule.field) ? rule.field : undefined);
  if (key === undefined) throw at('field', `unknown field "${rule.field}"; allowed: ${Object.keys(SERIES_FIELDS).join(', ')} (or give sensorId)`);
  return { ...rule, key };
}

function refusal(doc: unknown, path: readonly PropertyKey[], message: string): AlertRulesError {
  let where = '';
  path.forEach((part, i) => {
    if (typeof part === 'number') {
      where += `[${part}]`;
      const name = path[i - 1] === 'rules' ? ruleName(doc, part) : undefined;
      if (name !== undefined) where += ` (${name})`;
    } else where += `${where ? '.' : ''}${String(part)}`;
  });
  return new AlertRulesError(`ALERT_RULES_FILE ${where || 'file'}: ${message}`);
}

function ruleName(doc: unknown, index: number): string | undefined {
  const rules = (doc as { rules?: unknown } | null)?.rules;
  const name = Array.isArray(rules) ? (rules[index] as { name?: unknown } | null)?.name : undefined;
  return typeof name === 'string' && name.trim() ? name.trim().slice(0, 100) : undefined;
}
