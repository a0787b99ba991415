import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Deterministic benchmark tree: about `totalBytes` of mixed files. Half the bytes are incompressible
 * (AES-CTR keystream), half text-like (words from a fixed vocabulary, ~3-4x at gzip -1), in trees of
 * more than a few MiB, or in any tree with `balanced` (see below). Sizes mix many
 * small files, medium files and a few large ones, in nested directories. Another `seed`, other bytes.
 */
export async function makeBenchTree(
  root: string,
  totalBytes: number,
  seed = 'layer-bench',
  opts: { readonly balanced?: boolean } = {},
): Promise<{ files: number; bytes: number }> {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const stream = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const random = (n: number): Buffer => stream.update(Buffer.alloc(n));
  const words = 'the of and to in is for on that with as by at from this which be are or an it not but have'
    .split(' ')
    .concat(Array.from({ length: 40 }, (_, i) => `name${i.toString(36)}`));
  const templates = [
    (a: string, b: string) => `const ${a} = require('./${b}');\n`,
    (a: string, b: string) => `  if (${a} !== undefined) return ${b}(${a});\n`,
    (a: string, b: string) => `// ${a} ${b} the ${a} of ${b}\n`,
    (a: string, b: string) => `export function ${a}(${b}) { return ${b}.${a}; }\n`,
  ];
  const text = (n: number): Buffer => {
    const r = random(n >> 3);
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    let i = 0;
    while (o < n) {
      const pick = (k: number) => words[(r[(i + k) % r.length] ?? 0) % words.length] ?? 'x';
      const t = templates[(r[i % r.length] ?? 0) % templates.length] ?? templates[0]!;
      o += out.write(t(pick(1), pick(2)), o);
      i += 3;
    }
    return out;
  };
  // Pattern of sizes (bytes) repeated until the total is reached.
  const pattern = [
    4 << 10,
    16 << 10,
    1 << 10,
    64 << 10,
    256 << 10,
    8 << 10,
    1 << 20,
    32 << 10,
    4 << 20,
    128 << 10,
  ];
  let bytes = 0;
  let randomBytes = 0;
  let files = 0;
  let large = 0;
  while (bytes < totalBytes) {
    const dir = join(root, `d${Math.floor(files / 200)}`, `s${Math.floor(files / 40) % 5}`);
    if (files % 40 === 0) await mkdir(dir, { recursive: true });
    let size = pattern[files % pattern.length] ?? 4096;
    if (files % 97 === 96 && large < 6) {
      size = 64 << 20;
      large++;
    }
    size = Math.min(size, Math.max(1, totalBytes - bytes));
    // Alternate random and text by whole size cycles (and separately for the large files): about half each
    // for a tree of many cycles (one cycle is ~5.5 MiB: a 2 MiB tree is all random). `balanced` picks
    // each file's kind by the bytes so far instead, so that any tree is about half each.
    const isRandom = opts.balanced
      ? randomBytes <= bytes - randomBytes
      : size === 64 << 20
        ? large % 2 === 1
        : Math.floor(files / pattern.length) % 2 === 0;
    if (isRandom) randomBytes += size;
    const data = isRandom ? random(size) : text(size);
    await writeFile(join(dir, `f${files}.${isRandom ? 'bin' : 'txt'}`), data);
    bytes += size;
    files++;
  }
  return { files, bytes };
}
