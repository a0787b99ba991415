import { isIP } from 'node:net';
import { connect, createSecureContext, type SecureContext } from 'node:tls';

let bare: SecureContext | undefined;
/** A context trusting nothing: Node's default would load its own root certificates (~20 ms) to verify nothing. */
const bareContext = (): SecureContext => {
  bare ??= createSecureContext({ ca: [] });
  return bare;
};

/**
 * Whether a registry's port completes a TLS handshake (D-431). Nothing is sent over the connection and
 * nothing it says is trusted: it only tells a plain-HTTP port (a local registry) from a TLS one before
 * the verified HTTPS ping, which would first parse the system CA bundle (~70 ms of CPU on the main
 * thread) to learn what the handshake alone shows. Rejects with the connection's error when it fails.
 */
export function handshakes(registry: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const url = new URL(`https://${registry}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || 443);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const socket = connect({
      host,
      port,
      // RFC 6066: no server name for an address.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: false,
      secureContext: bareContext(),
    });
    const done = (e?: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (e === undefined) resolve();
      else reject(e);
    };
    const onAbort = () => done(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(timeoutMs, () =>
      done(Object.assign(new Error(`no TLS handshake in ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    socket.once('secureConnect', () => done());
    socket.once('error', (e) => done(e));
    socket.once('close', () => done(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' })));
  });
}
