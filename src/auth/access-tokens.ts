import type { LoginRefusal } from '../domain/audit.js';
import { createHash, randomBytes } from 'node:crypto';
import type { AuthOutcome, Authenticator, BeforeCheck } from '../domain/authn.js';
import type { Logger } from '../domain/logger.js';
import { ACCESS_TOKEN_PREFIX, type Identity, type UserRecord } from '../domain/model.js';
import type { AccessTokensRepository, UsersRepository } from '../domain/repositories.js';
import type { Secret } from '../domain/secret.js';

/** A new personal access token: the prefix and 32 random bytes, base64url. */
export function newAccessToken(): string {
  return ACCESS_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Hex SHA-256, what the store keeps and looks tokens up by: a 256-bit random token needs no slow hash. */
export function hashAccessToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Longer than any token we make: refused before it is hashed. */
const MAX_TOKEN_LENGTH = 200;

/**
 * Personal access tokens, given as the owner's password. The token stands for its owner as the
 * owner is now (disabled, demoted, out of a directory group: at once), narrowed to the token's
 * limits. A password that merely starts like a token and matches none is not ours to judge: the
 * password backends after us decide, so no user is locked out by the prefix.
 */
export class AccessTokenAuthenticator implements Authenticator {
  readonly name = 'pat';

  constructor(
    private readonly tokens: Pick<AccessTokensRepository, 'findByHash'>,
    private readonly users: Pick<UsersRepository, 'find'>,
    /** The owner's identity now, through the backend that owns them (a directory re-reads groups). */
    private readonly resolveOwner: (user: UserRecord) => Promise<Identity | null>,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(username: string, password: Secret, beforeCheck?: BeforeCheck): Promise<AuthOutcome> {
    const raw = password.reveal();
    if (!raw.startsWith(ACCESS_TOKEN_PREFIX) || raw.length > MAX_TOKEN_LENGTH) return { kind: 'unknown' };
    const token = await this.tokens.findByHash(hashAccessToken(raw));
    if (!token) return { kind: 'unknown' };
    const refuse = async (reason: string, code: LoginRefusal = 'invalid_token'): Promise<AuthOutcome> => {
      this.logger?.info({ user: username, token: token.name, reason }, `personal access token refused: ${reason}`);
      await beforeCheck?.();
      return { kind: 'denied', reason: code };
    };
    // The token is its owner's password, not a key anyone may present under any name.
    if (token.owner !== username) return refuse('the token belongs to another user');
    const user = await this.users.find(token.owner);
    if (!user) return refuse('the owner no longer exists');
    if (user.disabled) return refuse('the owner is disabled', 'disabled');
    if (token.expiresAt && token.expiresAt.getTime() <= this.now()) return refuse('the token has expired', 'expired');
    const owner = await this.resolveOwner(user);
    if (!owner) return refuse('the owner is no longer valid in their directory');
    return { kind: 'ok', identity: { ...owner, accessToken: { id: token.id, name: token.name, limits: token.limits } } };
  }
}
