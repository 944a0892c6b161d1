// Where the files the service reads at run time are found (the dashboard's build in dist/web,
// public/): the nearest directory above this module holding a package.json. The same from
// src/ under tsx as from dist/ compiled, in a checkout as in the image.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function projectRoot(): string {
  if (root !== undefined) return root;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return (root = dir);
    if (dirname(dir) === dir) throw new Error(`no package.json in any directory above ${start}`);
  }
}

/** A path inside the project: `fromProjectRoot('public', 'favicon.svg')`. */
export const fromProjectRoot = (...parts: string[]): string => join(projectRoot(), ...parts);
