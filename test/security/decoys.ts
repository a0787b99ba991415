import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Root-only decoys outside any workspace (issue 9 item 1; docs/decisions.md D-200..D-204): a root
 * 0755 directory holding 0600 files and a 0700 directory, each carrying a unique token. A hostile
 * buildpack points symlinks at them; afterwards their content, owner and mode must be unchanged and
 * the token must appear nowhere the lifecycle wrote.
 */
export interface Decoys {
  readonly root: string;
  /** A random marker present in every decoy. */
  readonly token: string;
  /** `<root>/<name>` (0600 root file with the given content, token included). */
  file(name: string): string;
  /** `<root>/vault` (0700 root directory with the `vault` files). */
  readonly dir: string;
  /** Fails when any decoy changed (content, owner, mode, entries). */
  assertUnchanged(): Promise<void>;
  /** Fails when `text` contains the token. */
  assertNotIn(text: string | Buffer, where: string): void;
  /** Fails when any regular file under `tree` contains the token (symlinks are not followed). */
  assertNotInTree(tree: string): Promise<void>;
  cleanup(): Promise<void>;
}

interface Snapshot {
  readonly path: string;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
  readonly content: string;
}

/**
 * Creates the decoys; `files` maps names to content, `vault` paths inside the 0700 directory to
 * content (`TOKEN` is replaced by the token in both).
 */
export async function decoys(
  files: Readonly<Record<string, string>>,
  vault: Readonly<Record<string, string>> = { inside: 'secret TOKEN\n' },
): Promise<Decoys> {
  const token = `DECOY${randomBytes(8).toString('hex')}`;
  const root = await mkdtemp('/tmp/priv-decoys-');
  await chmod(root, 0o755);
  for (const [name, content] of Object.entries(files))
    await writeFile(join(root, name), content.replaceAll('TOKEN', token), { mode: 0o600 });
  const dir = join(root, 'vault');
  await mkdir(dir, { mode: 0o700 });
  for (const [rel, content] of Object.entries(vault)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true, mode: 0o700 });
    await writeFile(join(dir, rel), content.replaceAll('TOKEN', token), { mode: 0o600 });
  }
  const snap = async (): Promise<Snapshot[]> => {
    const out: Snapshot[] = [];
    const paths = [
      ...Object.keys(files).map((n) => join(root, n)),
      dir,
      ...Object.keys(vault).map((r) => join(dir, r)),
    ];
    for (const p of paths) {
      const st = await lstat(p);
      const content = st.isDirectory() ? (await readdir(p)).sort().join('\n') : await readFile(p, 'utf8');
      out.push({ path: p, uid: st.uid, gid: st.gid, mode: st.mode, content });
    }
    return out;
  };
  const before = await snap();
  const assertNotIn = (text: string | Buffer, where: string) =>
    assert.ok(!text.toString('latin1').includes(token), `the decoy's content leaked into ${where}`);
  return {
    root,
    token,
    dir,
    file: (name) => join(root, name),
    async assertUnchanged() {
      assert.deepEqual(await snap(), before, 'decoys changed (content, owner, mode or entries)');
      for (const s of before) assert.deepEqual([s.uid, s.gid], [0, 0], s.path);
    },
    assertNotIn,
    async assertNotInTree(tree) {
      const walk = async (p: string): Promise<void> => {
        const st = await lstat(p).catch(() => undefined);
        if (st === undefined) return;
        if (st.isDirectory()) for (const n of await readdir(p)) await walk(join(p, n));
        else if (st.isFile()) assertNotIn(await readFile(p), p);
      };
      await walk(tree);
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
