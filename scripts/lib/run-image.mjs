// A minimal run image for the demo and the benchmarks: a shell (Debian's static busybox when installed,
// else this machine's /bin/sh with the shared libraries it needs), /etc/passwd and /etc/os-release,
// written to an OCI layout at the path the lifecycle maps `ref` to (platform.md "Map an image reference
// to a path in the layout directory").

import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

function rootfs(dir) {
  for (const d of ['bin', 'etc', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(
    join(dir, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1000:cnb:/home/cnb:/bin/sh\n',
  );
  writeFileSync(join(dir, 'etc', 'os-release'), 'ID=demo\nVERSION_ID="1"\n');
  if (existsSync('/bin/busybox')) {
    copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
    for (const a of ['sh', 'cat', 'env', 'ls', 'echo', 'pwd', 'id'])
      symlinkSync('busybox', join(dir, 'bin', a));
    return 'static busybox';
  }
  const sh = realpathSync('/bin/sh');
  copyFileSync(sh, join(dir, 'bin', 'sh'));
  for (const line of execFileSync('ldd', [sh], { encoding: 'utf8' }).split('\n')) {
    const lib = /(\/\S+) \(0x/.exec(line)?.[1];
    if (!lib) continue;
    mkdirSync(join(dir, dirname(lib)), { recursive: true });
    copyFileSync(realpathSync(lib), join(dir, lib));
  }
  return `this machine's ${sh} and its libraries`;
}

/**
 * Writes the run image `ref` into `layoutDir`, using `work` for scratch files; returns what the shell is.
 * `lib` is the lifecycle library (dist/lib/index.js).
 */
export async function writeRunImage(lib, layoutDir, ref, work) {
  const { image, layer, layoutPathFor } = lib;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const shell = rootfs(join(work, 'rootfs'));
  const rootLayer = await layer.layerFromDir(
    { dir: join(work, 'rootfs'), prefix: '', uid: 0, gid: 0 },
    join(work, 'layer.tgz'),
  );
  const run = image.mutate(image.emptyImage({ os: 'linux', architecture: 'amd64' }), {
    addLayers: [{ layer: rootLayer, history: { created_by: `run image: ${shell}` } }],
    config: {
      env: { PATH: '/bin' },
      labels: {
        'io.buildpacks.base.id': 'demo-run',
        'io.buildpacks.base.distro.name': 'demo',
        'io.buildpacks.base.distro.version': '1',
      },
    },
  });
  await image.layout.write(layoutPathFor(layoutDir, ref), run);
  return shell;
}
