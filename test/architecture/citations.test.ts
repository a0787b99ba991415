// Citations in the repository resolve inside it (issue 13, D-405): `docs/reference-behaviour.md §N`
// names a section of that page, `D-n` and `S-n` name entries of docs/decisions.md, and nothing cites
// numberings the repository does not hold (the spec's notes file by name, the spec README's "decision N").
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIRS = ['src', 'test', 'scripts', 'bench', 'docs', 'testdata', 'launcher', 'runtime', 'examples'];
const SKIP = new Set(['node_modules', 'dist', '.git']);

/** Every text file of the source tree (relative path → content); binary and large files are left out. */
function textFiles(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      if (SKIP.has(name)) continue;
      const p = join(dir, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (st === undefined) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size < 1 << 20) {
        const buf = readFileSync(p);
        if (!buf.includes(0)) out.set(relative(ROOT, p), buf.toString('utf8'));
      }
    }
  };
  for (const d of DIRS) walk(join(ROOT, d));
  out.set('README.md', readFileSync(join(ROOT, 'README.md'), 'utf8'));
  return out;
}

/** `file:line: text` for every match of `re` (global) in `files`. */
function hits(files: ReadonlyMap<string, string>, re: RegExp): { at: string; match: RegExpExecArray }[] {
  const out: { at: string; match: RegExpExecArray }[] = [];
  for (const [file, text] of files) {
    for (const m of text.matchAll(re)) {
      const line = text.slice(0, m.index).split('\n').length;
      out.push({ at: `${file}:${line}: ${m[0]}`, match: m });
    }
  }
  return out;
}

describe('citations', () => {
  const files = textFiles();
  const decisions = files.get('docs/decisions.md') ?? '';
  const reference = files.get('docs/reference-behaviour.md') ?? '';

  it('reads the tree, the decisions and the reference-behaviour page', () => {
    assert.ok(files.size > 300, `only ${files.size} text files found under ${ROOT}`);
    assert.match(decisions, /\*\*S-1 /);
    assert.match(reference, /^### 0\.4 Exit codes actually used$/m);
  });

  it('cite no numbering the repository does not hold', () => {
    const notes = new RegExp(`${['LIFECYCLE', 'BEHAVIOUR'].join('-')}|\\b[Dd]ecisions? \\d+\\b`, 'g');
    assert.deepEqual(
      hits(files, notes).map((h) => h.at),
      [],
    );
  });

  it('name sections that docs/reference-behaviour.md has', () => {
    const sections = new Set([...reference.matchAll(/^#{2,3} (\d+(?:\.\d+)?)[. ]/gm)].map((m) => m[1]));
    assert.ok(sections.has('0.10') && sections.has('14'), [...sections].join(' '));
    const missing = hits(files, /reference-behaviour\.md §(\d+(?:\.\d+)?)/g).filter(
      (h) => !sections.has(h.match[1]),
    );
    assert.deepEqual(
      missing.map((h) => h.at),
      [],
    );
  });

  it('name entries that docs/decisions.md records', () => {
    const entries = new Set([...decisions.matchAll(/\*\*([DS]-\d+)\b/g)].map((m) => m[1]));
    const missing = hits(files, /\b[DS]-\d+\b/g).filter((h) => !entries.has(h.match[0]));
    assert.deepEqual(
      missing.map((h) => h.at),
      [],
    );
  });
});
