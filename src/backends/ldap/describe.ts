import { ResultCodeError } from 'ldapts';

/**
 * A directory's verdict in words an operator can look up: `invalid credentials (49)` from
 * ldapts's InvalidCredentialsError, whose own message is the server's diagnostic text or a
 * sentence that hides the result code in hex.
 */
export function describeLdapError(err: unknown): string {
  if (!(err instanceof ResultCodeError)) return err instanceof Error ? err.message : String(err);
  const words = err.name
    .replace(/Error$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase();
  return `${words === 'result code' ? 'refused' : words} (${err.code})`;
}
