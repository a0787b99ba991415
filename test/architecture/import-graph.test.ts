// The import graph of src/ is a DAG layered cli → phase → domains → platform (issue 13, D-400): every
// import that crosses a domain goes down the table below and through the target domain's index.ts, and
// no module imports itself through a chain of others.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** Which domains each domain may import (directly). `(root)` is src/index.ts, the library surface. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  '(root)': ['image', 'layer', 'phase', 'platform'],
  cli: ['extend', 'phase', 'platform'],
  phase: ['buildpack', 'cache', 'env', 'extend', 'files', 'image', 'layer', 'platform'],
  extend: ['buildpack', 'files', 'image', 'layer', 'platform'],
  cache: ['files', 'image', 'layer', 'platform'],
  buildpack: ['env', 'files', 'platform'],
  image: ['layer', 'platform'],
  env: ['platform'],
  files: ['platform'],
  layer: ['platform'],
  platform: [],
};

type Graph = ReadonlyMap<string, readonly string[]>;

/** Module (path relative to src/) → the modules it imports, statically, dynamically or by re-export. */
function importGraph(root: string): Graph {
  const graph = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) {
        const specs = ts
          .preProcessFile(readFileSync(p, 'utf8'), true, true)
          .importedFiles.map((f) => f.fileName);
        const local = specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(p), s));
        for (const t of local)
          assert.ok(existsSync(t), `${relative(root, p)} imports ${t}, which does not exist`);
        graph.set(
          relative(root, p),
          local.map((t) => relative(root, t)),
        );
      }
    }
  };
  walk(root);
  return graph;
}

const domainOf = (module: string): string =>
  module.includes('/') ? (module.split('/')[0] as string) : '(root)';

/** Imports that cross domains against the table, or past the target domain's index.ts. */
function layerViolations(graph: Graph, allowed: typeof ALLOWED): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const [a, b] = [domainOf(from), domainOf(to)];
      if (a === b) continue;
      if (!(allowed[a] ?? []).includes(b)) out.push(`${from} → ${to}: ${a} may not import ${b}`);
      else if (to !== `${b}/index.ts`) out.push(`${from} → ${to}: import ${b}/index.ts instead`);
    }
  }
  return out;
}

/** Every cycle (strongly connected component of more than one module, or a self-import), Tarjan's way. */
function cycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const scc = stack.splice(stack.indexOf(v));
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('import graph checks (on a made-up graph)', () => {
  const made: Graph = new Map([
    ['cli/main.ts', ['cli/runners.ts', 'phase/index.ts']],
    ['cli/runners.ts', ['cli/main.ts', 'platform/errors.ts']],
    ['phase/index.ts', ['cli/main.ts']],
    ['platform/errors.ts', []],
  ]);

  it('finds a cycle between two modules', () => {
    assert.deepEqual(cycles(made), [['cli/main.ts', 'cli/runners.ts', 'phase/index.ts']]);
  });

  it('finds an upward import and a deep one', () => {
    assert.deepEqual(layerViolations(made, ALLOWED), [
      'cli/runners.ts → platform/errors.ts: import platform/index.ts instead',
      'phase/index.ts → cli/main.ts: phase may not import cli',
    ]);
  });
});

describe('src/ import graph', () => {
  const graph = importGraph(SRC);

  it('covers every module of src/ and every domain directory', () => {
    assert.ok(graph.size > 100, `only ${graph.size} modules found under ${SRC}`);
    const dirs = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
    for (const d of dirs) assert.ok(d in ALLOWED, `src/${d} is a new domain: give it a row in ALLOWED`);
  });

  it('the table of allowed directions is itself acyclic', () => {
    const table: Graph = new Map(
      Object.entries(ALLOWED).map(([d, to]) => [`${d}/x`, to.map((t) => `${t}/x`)]),
    );
    assert.deepEqual(cycles(table), []);
  });

  it('has no import cycle', () => {
    assert.deepEqual(cycles(graph), []);
  });

  it('crosses domains only downwards and only through index.ts', () => {
    assert.deepEqual(layerViolations(graph, ALLOWED), []);
  });
});
