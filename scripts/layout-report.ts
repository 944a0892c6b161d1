// Issue 11's layout figures for src/ (migrations and generated code aside), as JSON:
// functions over 60 lines, files over 250, files spelling a log kind or a telemetry field,
// and imports running against the data flow (an edge into another edge or into ingest/).
// Usage: tsx scripts/layout-report.ts [root]   (root defaults to this checkout)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = process.argv[2] ?? process.cwd();
const src = join(root, 'src');
const EDGES = ['graphql', 'legacy-ws', 'http'];
const KIND_NAMES = /\b(raw_log|sensor_log|vehicle_log|RAW_LOG|SENSOR_LOG|VEHICLE_LOG|RawLog|SensorLog|VehicleLog)\b/;
const FIELD_NAMES = /\b(battery_voltage|batteryVoltage|battery_current|batteryCurrent|system_status|systemStatus)\b/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'migrations' || name === 'generated' ? [] : files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function longFunctions(path: string, text: string): string[] {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      const name = (node as ts.FunctionDeclaration).name?.getText() ?? `<anonymous>@${start + 1}`;
      if (lines > 60) found.push(`${relative(root, path)}:${name} (${lines})`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function area(path: string): string {
  return relative(src, path).split('/')[0]!;
}

const report = { longFunctions: [] as string[], longFiles: [] as string[], kindFiles: [] as string[], fieldFiles: [] as string[], edgeImports: [] as string[] };
for (const path of files(src)) {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n').length;
  if (lines > 250) report.longFiles.push(`${relative(root, path)} (${lines})`);
  report.longFunctions.push(...longFunctions(path, text));
  const code = text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, ''); // spelled in code, not in comments
  if (KIND_NAMES.test(code)) report.kindFiles.push(relative(root, path));
  if (FIELD_NAMES.test(code)) report.fieldFiles.push(relative(root, path));
  const from = area(path);
  if (!EDGES.includes(from)) continue;
  for (const m of text.matchAll(/from '(\.\.?\/[^']+)'/g)) {
    const target = area(join(path, '..', m[1]!));
    if (target !== from && (EDGES.includes(target) || target === 'ingest')) report.edgeImports.push(`${relative(root, path)} → ${m[1]}`);
  }
}
const counts = Object.fromEntries(Object.entries(report).map(([k, v]) => [k, v.length]));
console.log(JSON.stringify({ counts, ...report }, null, 2));
