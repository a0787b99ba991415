// The lock file as the truth of what is built and shipped (docs/decisions.md D-255): the release is made
// from exactly the packages package-lock.json names, as `npm ci` installs them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function readLock(root) {
  return JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
}

function installedVersion(root, path) {
  const file = join(root, path, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : undefined;
}

/** The lock file's entry of a top-level package, checked against node_modules. */
export function lockedPackage(root, name) {
  const locked = readLock(root).packages?.[`node_modules/${name}`];
  if (!locked) throw new Error(`${name} is not in package-lock.json; run 'npm ci'`);
  const installed = installedVersion(root, `node_modules/${name}`);
  if (installed !== locked.version)
    throw new Error(
      `node_modules has ${name}@${installed ?? '(none)'} but package-lock.json pins ${locked.version}; run 'npm ci'`,
    );
  return { ...locked, dir: join(root, 'node_modules', name) };
}

/**
 * Fails unless every package of the lock file is installed at its locked version (optional packages
 * for other platforms may be absent), i.e. node_modules is what `npm ci` makes of the lock file.
 */
export function checkInstalledMatchesLock(root) {
  const wrong = [];
  for (const [path, p] of Object.entries(readLock(root).packages ?? {})) {
    if (path === '' || p.link) continue;
    const installed = installedVersion(root, path);
    if (installed === undefined && p.optional) continue;
    if (installed !== p.version) wrong.push(`${path}: ${installed ?? 'missing'} (locked ${p.version})`);
  }
  if (wrong.length > 0)
    throw new Error(
      `node_modules differs from package-lock.json (${wrong.slice(0, 5).join('; ')}${wrong.length > 5 ? '; …' : ''}); run 'npm ci'`,
    );
}
