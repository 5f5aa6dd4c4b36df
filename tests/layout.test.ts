// The layout's rules (docs/architecture.md "Layout"), read from the import statements: the AWS SDK
// only under lib/dynamo/, nothing with I/O in lib/domain/, each folder importing only the folders
// below it, and no import cycles.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/stack.js';

const sources = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sources(path);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Each file's import specifiers, relative ones resolved to repository paths of .ts files. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => {
    const spec = (m[1] ?? m[2])!;
    if (!spec.startsWith('.')) return spec;
    return relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts');
  });
}

const lib = sources('lib');
const graph = new Map(lib.map((file) => [file, importsOf(file)]));
const folderOf = (file: string) => file.split('/')[1]!.replace(/\.ts$/, '');

/** Which folders each folder may import (besides itself); lib/app.ts composes them all. */
const MAY_IMPORT: Record<string, string[]> = {
  domain: [],
  telemetry: ['domain'],
  service: ['domain', 'telemetry'],
  dynamo: ['domain', 'telemetry', 'service'],
  auth: ['domain'],
  http: ['domain', 'telemetry', 'service', 'auth'],
  app: ['domain', 'telemetry', 'service', 'dynamo', 'http'],
};

describe('lib/ layout', () => {
  it('has a rule for every folder', () => {
    expect([...new Set(lib.map(folderOf))].filter((folder) => !(folder in MAY_IMPORT))).toEqual([]);
  });

  it('imports the AWS SDK only under lib/dynamo/', () => {
    const files = [...lib, ...sources('functions')];
    const offenders = files.filter((file) => !file.startsWith('lib/dynamo/') && importsOf(file).some((spec) => spec.startsWith('@aws-sdk/')));
    expect(offenders).toEqual([]);
  });

  it('keeps lib/domain/ free of I/O: only zod, node:crypto for ids, and itself', () => {
    const allowed = (spec: string) => spec.startsWith('lib/domain/') || spec === 'node:crypto' || spec === 'zod/mini' || spec === 'zod/locales';
    const offenders = lib.filter((file) => folderOf(file) === 'domain').flatMap((file) => graph.get(file)!.filter((spec) => !allowed(spec)).map((spec) => `${file} -> ${spec}`));
    expect(offenders).toEqual([]);
  });

  it('imports only downward between folders', () => {
    const offenders = [...graph].flatMap(([file, specs]) =>
      specs
        .filter((spec) => spec.startsWith('lib/'))
        .filter((spec) => folderOf(spec) !== folderOf(file) && !MAY_IMPORT[folderOf(file)]!.includes(folderOf(spec)))
        .map((spec) => `${file} -> ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('has no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
