import { createHash, randomBytes } from 'node:crypto';
import { InvalidGrantError, isPortcullisError, UnauthorizedError } from '../domain/errors.js';
import type { Identity } from '../domain/model.js';
import type { RefreshTokensRepository } from '../domain/repositories.js';
import type { Secret } from '../domain/secret.js';
import type { AuthChain } from './chain.js';

const PREFIX = 'pcr_';

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * OAuth2 refresh tokens that docker keeps as its "identity token". Clients replay the same
 * token on every pull and push, across our restarts, so it never rotates; the store keeps only
 * its hash, and deleting the row (password change, disable, delete) revokes it.
 */
export class IdentityTokens {
  constructor(
    private readonly repo: RefreshTokensRepository,
    private readonly chain: AuthChain,
    private readonly ttlSeconds: number,
    private readonly limits: { perUser: number; perClient: number } = { perUser: 50, perClient: 10 },
    private readonly now: () => number = Date.now,
  ) {}

  async issue(identity: Identity, clientId: string): Promise<string> {
    const token = PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = this.ttlSeconds > 0 ? new Date(this.now() + this.ttlSeconds * 1000) : null;
    const client = clientId.slice(0, 200);
    try {
      await this.repo.create(hashOf(token), identity.userId, client, expiresAt);
    } catch (err) {
      // The account was deleted while its login was being answered.
      if (isPortcullisError(err) && err.code === 'NOT_FOUND') throw new UnauthorizedError('the account no longer exists');
      throw err;
    }
    // Bounded per user and per client: a script logging in in a loop cannot fill the table.
    await this.repo.keepNewest(identity.userId, this.limits.perClient, client);
    await this.repo.keepNewest(identity.userId, this.limits.perUser);
    return token;
  }

  /** The identity a refresh token stands for now; throws InvalidGrantError when it is not valid. */
  async resolve(token: Secret): Promise<Identity> {
    const raw = token.reveal();
    if (!raw.startsWith(PREFIX) || raw.length > 200) throw new InvalidGrantError();
    const record = await this.repo.find(hashOf(raw));
    if (!record) throw new InvalidGrantError();
    if (record.user.disabled) throw new InvalidGrantError(undefined, 'disabled');
    if (record.expiresAt && record.expiresAt.getTime() <= this.now()) throw new InvalidGrantError('the refresh token has expired', 'expired');
    const identity = await this.chain.refresh(record.user);
    if (!identity) throw new InvalidGrantError();
    return identity;
  }
}
