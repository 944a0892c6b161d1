// prestart: rebuild dist/ only when a source is newer than the last build, so `npm start` on a
// fresh install (built by `prepare`) goes straight to the service — a taken port is reported in
// under 2 s instead of after the seconds a build takes. Plain JavaScript: no tsx start-up cost.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = 'dist/.build-stamp';
const SOURCES = ['src', 'web', 'client', 'public', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build-web.ts'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((n) => newest(join(path, n))));
}

const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
if (Math.max(...SOURCES.map(newest)) > built) execSync('npm run -s build', { stdio: 'inherit' });
