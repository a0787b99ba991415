/** A parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  /** Lower-cased scheme: `basic`, `bearer`, … */
  readonly scheme: string;
  /** Parameters with lower-cased names (`realm`, `service`, `scope`, `error`). */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses a `WWW-Authenticate` header value (RFC 7235: one or more challenges, each a scheme followed by
 * comma-separated `name=value` or `name="quoted value"` parameters).
 */
export function parseChallenges(header: string): Challenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t' || header[i] === ',')) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && !/[\s,=]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  // Bounded: every iteration consumes at least one character or exits.
  while (i < n) {
    skipWs();
    if (i >= n) break;
    const start = i;
    const word = token();
    let j = i;
    while (j < n && (header[j] === ' ' || header[j] === '\t')) j++;
    if (header[j] === '=' && out.length > 0) {
      // A parameter of the current challenge.
      i = j + 1;
      while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        value = token();
      }
      out[out.length - 1]!.params[word.toLowerCase()] = value;
    } else if (word.length > 0) {
      out.push({ scheme: word.toLowerCase(), params: {} });
    } else if (i === start) {
      i++;
    }
  }
  return out;
}

/** The first Bearer challenge, else the first Basic one, else undefined. */
export function pickChallenge(header: string | undefined): Challenge | undefined {
  if (header === undefined) return undefined;
  const all = parseChallenges(header);
  return all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic');
}
