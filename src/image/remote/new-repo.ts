import type { RegistryClient } from './client.ts';
import { discard, readBody } from './http.ts';
import type { RepositoryState } from './options.ts';

/**
 * The session's state of the client's repository, asked on first use (D-434): whether it does not exist
 * yet, i.e. its tag list answers 404 NAME_UNKNOWN. No blob is in such a repository (blobs belong to a
 * repository once pushed or mounted there), so a push into it skips the HEAD before each blob: one
 * request for the repository instead of one per blob. Anything but that answer (tags, an empty list,
 * 401/403, an error, a registry without the endpoint) means "maybe": each blob is checked as before.
 * Blobs the session puts there are remembered, so a second push of one in the session is not sent again.
 */
export function repositoryState(client: RegistryClient): RepositoryState {
  const key = `${client.registry}/${client.repository}`;
  const repos = client.opts.session.repos;
  let state = repos.get(key);
  if (state === undefined) {
    state = { isNew: ask(client), pushed: new Set() };
    repos.set(key, state);
  }
  return state;
}

async function ask(client: RegistryClient): Promise<boolean> {
  try {
    const res = await client.request({
      method: 'GET',
      path: `${client.path('tags/list')}?n=1`,
      op: 'list tags',
      ok: [200, 404],
      noRetry: true,
    });
    if (res.status !== 404) {
      await discard(res);
      return false;
    }
    return /"NAME_UNKNOWN"/.test((await readBody(res, 64 << 10)).toString('utf8'));
  } catch {
    return false;
  }
}
