import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Slice } from '../files/index.ts';
import { entryFromStat, type LayerEntry, parentsFromDisk } from '../layer/index.ts';
import { LifecycleError } from '../platform/index.ts';

/**
 * App slices (buildpack.md "launch.toml" `[[slices]]`; docs/reference-behaviour.md §6 "App slices"): the app
 * directory is split into one layer per slice plus a final layer with everything not sliced. Patterns are
 * Go `filepath.Match` globs over paths relative to the app dir; a matched directory takes its subtree.
 */

/** One file system entry of the app dir, relative to it (`''` is the app dir itself). */
interface AppEntry {
  readonly rel: string;
  readonly path: string;
  readonly st: Stats;
  /** Relative paths of the direct children (directories only). */
  readonly children: readonly string[];
}

/** Entries of one app layer, in walk order. */
export interface AppLayerPlan {
  /** Entries for the layer: app dir parents, then the app dir and its selected contents. */
  readonly entries: (uid: number, gid: number) => Promise<LayerEntry[]>;
}

/** Converts one Go `filepath.Match` path component pattern to a RegExp; undefined when malformed. */
export function componentRegExp(pattern: string): RegExp | undefined {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      i++;
      if (i >= pattern.length) return undefined;
      re += escapeRe(pattern[i]!);
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return undefined;
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\]\\]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else re += escapeRe(c);
  }
  try {
    return new RegExp(`^${re}$`, 'u');
  } catch {
    return undefined;
  }
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Per-component matchers of a cleaned pattern; undefined when it escapes the app dir or is malformed. */
export function compilePattern(pattern: string): RegExp[] | undefined {
  const cleaned = posix.normalize(`/${pattern}`).slice(1).replace(/\/+$/, '');
  if (cleaned === '' || pattern.split('/').includes('..')) return undefined;
  const out: RegExp[] = [];
  for (const comp of cleaned.split('/')) {
    const re = componentRegExp(comp);
    if (re === undefined) return undefined;
    out.push(re);
  }
  return out;
}

function matches(rel: string, pattern: readonly RegExp[]): boolean {
  const comps = rel.split('/');
  return comps.length === pattern.length && comps.every((c, i) => pattern[i]!.test(c));
}

async function walkApp(app: string): Promise<AppEntry[]> {
  const out: AppEntry[] = [];
  const visit = async (rel: string, path: string, st: Stats): Promise<void> => {
    const entry: { rel: string; path: string; st: Stats; children: string[] } = {
      rel,
      path,
      st,
      children: [],
    };
    out.push(entry);
    if (!st.isDirectory()) return;
    const names = (await readdir(path, { encoding: 'buffer' })).sort(Buffer.compare).map((b) => b.toString());
    for (const n of names) {
      const crel = rel === '' ? n : `${rel}/${n}`;
      const cpath = `${path}/${n}`;
      const cst = await lstat(cpath);
      if (cst.isSocket()) continue;
      entry.children.push(crel);
      await visit(crel, cpath, cst);
    }
  };
  try {
    await visit('', app, await lstat(app));
  } catch (e) {
    throw new LifecycleError('ERR_EXPORT_APP', 'export', `failed to read app dir '${app}': ${String(e)}`, {
      cause: e,
    });
  }
  return out;
}

/**
 * Plans the app layers: one per slice (in order), then the remainder. A slice holds its matches (a
 * matched directory with its whole unsliced subtree) plus the missing parents; the remainder holds
 * every unsliced entry, and a directory only when some of its children are not sliced (or it is empty).
 */
export async function planAppLayers(app: string, slices: readonly Slice[]): Promise<AppLayerPlan[]> {
  const all = await walkApp(app);
  const byRel = new Map(all.map((e) => [e.rel, e]));
  const sliced = new Set<string>();
  const plans: AppLayerPlan[] = [];
  const toEntries =
    (selected: ReadonlySet<string>) =>
    async (uid: number, gid: number): Promise<LayerEntry[]> => {
      const out: LayerEntry[] = await parentsFromDisk(app);
      for (const e of all) {
        if (!selected.has(e.rel)) continue;
        const name = e.rel === '' ? app : `${app}/${e.rel}`;
        const entry = await entryFromStat(e.path, name, e.st, uid, gid);
        if (entry) out.push(entry);
      }
      return out;
    };
  const addParents = (rel: string, into: Set<string>) => {
    let p = rel;
    while (p !== '') {
      p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '';
      into.add(p);
    }
  };
  for (const slice of slices) {
    const patterns = slice.paths.map(compilePattern).filter((p): p is RegExp[] => p !== undefined);
    const selected = new Set<string>();
    const take = (rel: string) => {
      const e = byRel.get(rel);
      if (e === undefined || sliced.has(rel)) return;
      selected.add(rel);
      sliced.add(rel);
      for (const c of e.children) take(c);
    };
    for (const e of all) if (e.rel !== '' && patterns.some((p) => matches(e.rel, p))) take(e.rel);
    for (const rel of [...selected]) addParents(rel, selected);
    if (selected.size === 0) {
      plans.push({ entries: async () => [] });
      continue;
    }
    plans.push({ entries: toEntries(selected) });
  }
  const rest = new Set<string>();
  for (const e of all) {
    if (sliced.has(e.rel)) continue;
    if (e.st.isDirectory() && e.children.length > 0 && e.children.every((c) => sliced.has(c))) continue;
    rest.add(e.rel);
  }
  for (const rel of [...rest]) addParents(rel, rest);
  plans.push({ entries: toEntries(rest) });
  return plans;
}
