/** Why a database connection at start failed, in words, and whether waiting could help. */
export interface ConnectFailure {
  cause: string;
  /** Retrying cannot help: a name that does not resolve, credentials refused, no such database. */
  final: boolean;
}

const BY_CODE: Record<string, ConnectFailure> = {
  ECONNREFUSED: { cause: 'connection refused', final: false },
  ECONNRESET: { cause: 'connection reset', final: false },
  EHOSTUNREACH: { cause: 'host unreachable', final: false },
  ENETUNREACH: { cause: 'network unreachable', final: false },
  ETIMEDOUT: { cause: 'timed out', final: false },
  EAI_AGAIN: { cause: 'DNS lookup failed for now (EAI_AGAIN)', final: false },
  ENOTFOUND: { cause: 'DNS lookup failed: no such host', final: true },
  '28P01': { cause: 'authentication failed: wrong password', final: true },
  '28000': { cause: 'authentication failed: the server refused this user', final: true },
  '3D000': { cause: 'no such database', final: true },
  '57P03': { cause: 'the server is starting up', final: false },
};

/** Walks the error and its causes for the first code or message that says what happened. */
export function describeConnectFailure(err: unknown): ConnectFailure {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && BY_CODE[code]) return BY_CODE[code];
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && /timeout|timed out/i.test(message)) return { cause: 'timed out', final: false };
  }
  const message = (err as { cause?: { message?: unknown } })?.cause?.message ?? (err as { message?: unknown })?.message;
  return { cause: typeof message === 'string' ? message : 'unknown failure', final: false };
}

/** host:port of a postgres:// URL, for messages (never the password). */
export function endpointOf(url: string): { host: string; port: number } {
  try {
    const u = new URL(url);
    return { host: u.hostname || 'localhost', port: Number(u.port) || 5432 };
  } catch {
    return { host: 'unknown', port: 5432 };
  }
}
