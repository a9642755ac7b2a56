import { hashAccessToken, newAccessToken } from '../auth/access-tokens.js';
import { ConflictError, DeniedError, InvalidRequestError, NotFoundError } from '../domain/errors.js';
import { type AccessTokenRecord, type Identity, REPOSITORY_ACTIONS, type RepositoryAction } from '../domain/model.js';
import type { Store } from '../domain/repositories.js';
import { checkProjectName } from './names.js';

const TOKEN_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;
const MAX_EXPIRY_DAYS = 3650;
/** A token nobody said how long to keep is not kept forever. */
export const DEFAULT_EXPIRY_DAYS = 90;
/** Per user: a script creating tokens in a loop cannot fill the table. */
export const MAX_TOKENS_PER_USER = 100;

export interface NewAccessTokenRequest {
  name: string;
  /** Projects the token may reach; absent or null: every project its owner can reach. */
  projects?: string[] | null;
  /** Absent: pull, push and delete (as far as the owner may). */
  actions?: RepositoryAction[];
  /** Days until it expires; absent: DEFAULT_EXPIRY_DAYS; -1 or null: never. */
  expiresInDays?: number | null;
}

/** A token with its secret: returned only by create, never stored. */
export interface AccessTokenWithSecret {
  token: AccessTokenRecord;
  secret: string;
}

/**
 * Personal access tokens: a user makes them for themselves; the owner and system admins list
 * and revoke them. What a token may do is decided at each request (its limits ∩ the owner's
 * rights then), so nothing here checks the owner's rights.
 */
export class AccessTokenService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async create(caller: Identity, req: NewAccessTokenRequest): Promise<AccessTokenWithSecret> {
    ownerOnly(caller);
    if (!TOKEN_NAME.test(req.name)) {
      throw new InvalidRequestError(`invalid token name "${req.name}": up to 64 letters, digits and . _ -, starting and ending with a letter or digit`);
    }
    const projects = req.projects === undefined || req.projects === null ? null : await this.existingProjects(req.projects);
    const actions = actionsOf(req.actions);
    if ((await this.store.accessTokens.list(caller.userId)).length >= MAX_TOKENS_PER_USER) {
      throw new ConflictError(`${caller.username} already has ${MAX_TOKENS_PER_USER} tokens: remove one first`);
    }
    const secret = newAccessToken();
    const token = await this.store.accessTokens.create({
      ownerId: caller.userId,
      name: req.name,
      tokenHash: hashAccessToken(secret),
      limits: { projects, actions },
      expiresAt: this.expiry(req.expiresInDays),
    });
    return { token, secret };
  }

  /** One user's tokens (their own, or any user's for a system admin), or every token (admins). */
  async list(caller: Identity, owner?: string): Promise<AccessTokenRecord[]> {
    ownerOnly(caller);
    if (owner === undefined) return this.store.accessTokens.list(caller.admin ? undefined : caller.userId);
    return this.store.accessTokens.list((await this.ownerFor(caller, owner)).id);
  }

  async revoke(caller: Identity, owner: string, id: number): Promise<void> {
    ownerOnly(caller);
    await this.store.accessTokens.delete((await this.ownerFor(caller, owner)).id, id);
  }

  private async ownerFor(caller: Identity, owner: string): Promise<{ id: number }> {
    if (owner !== caller.username && !caller.admin) throw new DeniedError("only system admins may see or revoke another user's tokens");
    const user = await this.store.users.find(owner);
    if (!user) throw new NotFoundError(`user ${owner} not found`);
    return user;
  }

  private async existingProjects(names: readonly string[]): Promise<string[]> {
    if (names.length === 0) throw new InvalidRequestError('projects: name at least one, or leave it out for every project');
    const unique = [...new Set(names.map(checkProjectName))];
    for (const name of unique) if (!(await this.store.projects.find(name))) throw new NotFoundError(`project ${name} not found`);
    return unique;
  }

  private expiry(days: number | null | undefined): Date | null {
    if (days === null || days === -1) return null;
    const d = days ?? DEFAULT_EXPIRY_DAYS;
    if (!Number.isInteger(d) || d < 0 || d > MAX_EXPIRY_DAYS) throw new InvalidRequestError(`expiresInDays must be -1 (never) or 0 to ${MAX_EXPIRY_DAYS}`);
    return new Date(this.now() + d * 86_400_000);
  }
}

/**
 * Tokens are a person's: a robot has none, and a token cannot make or see tokens (it would
 * outlive its own limits and expiry).
 */
function ownerOnly(caller: Identity): void {
  if (caller.robot) throw new DeniedError('robot accounts have no personal access tokens');
  if (caller.accessToken) throw new DeniedError('a personal access token cannot manage tokens: use your password');
}

function actionsOf(requested: RepositoryAction[] | undefined): RepositoryAction[] {
  if (requested === undefined) return [...REPOSITORY_ACTIONS];
  const unique = REPOSITORY_ACTIONS.filter((a) => requested.includes(a));
  if (unique.length === 0 || unique.length !== new Set(requested).size) throw new InvalidRequestError('actions: one or more of pull, push, delete');
  return unique;
}
