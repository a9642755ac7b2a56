import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { AccessTokenRecord, RepositoryAction } from '../../domain/model.js';
import type { AccessTokensRepository, NewAccessToken, RobotUse } from '../../domain/repositories.js';
import { recordLastUses } from './last-used.js';
import { isUniqueViolation, type Queryable } from './client.js';

interface AccessTokenRow {
  id: number;
  owner: string;
  user_id: number;
  name: string;
  token_hash: string;
  projects: string[] | null;
  actions: RepositoryAction[];
  expires_at: Date | null;
  created_at: Date;
  last_used_at: Date | null;
  last_used_ip: string | null;
}

/** Tokens with their owner's name; the repository and the snapshot's load share it (alias t). */
export async function selectAccessTokens(db: Queryable, where = 'true', params: readonly unknown[] = []): Promise<AccessTokenRecord[]> {
  const rows = await db.query<AccessTokenRow>(
    `SELECT t.id, u.username AS owner, t.user_id, t.name, t.token_hash, t.projects, t.actions, t.expires_at,
            t.created_at, t.last_used_at, t.last_used_ip
     FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE ${where} ORDER BY u.username, t.name`,
    params,
  );
  return rows.map((r) => ({
    id: r.id,
    owner: r.owner,
    ownerId: r.user_id,
    name: r.name,
    tokenHash: r.token_hash,
    limits: { projects: r.projects, actions: r.actions },
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    lastUsedIp: r.last_used_ip,
  }));
}

export class SqlAccessTokens implements AccessTokensRepository {
  constructor(private readonly db: Queryable) {}

  async findByHash(tokenHash: string): Promise<AccessTokenRecord | null> {
    return (await selectAccessTokens(this.db, 't.token_hash = $1', [tokenHash]))[0] ?? null;
  }

  list(ownerId?: number): Promise<AccessTokenRecord[]> {
    return ownerId === undefined ? selectAccessTokens(this.db) : selectAccessTokens(this.db, 't.user_id = $1', [ownerId]);
  }

  async create(token: NewAccessToken): Promise<AccessTokenRecord> {
    let id: number;
    try {
      const rows = await this.db.query<{ id: number }>(
        `INSERT INTO access_tokens (user_id, name, token_hash, projects, actions, expires_at)
         VALUES ($1, $2, $3, $4::text[], $5::text[], $6) RETURNING id`,
        [token.ownerId, token.name, token.tokenHash, token.limits.projects, token.limits.actions, token.expiresAt],
      );
      id = (rows[0] as { id: number }).id;
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`a token named ${token.name} already exists`);
      // The owner was deleted meanwhile (foreign key).
      if ((err as { code?: string }).code === '23503') throw new NotFoundError('the owner no longer exists');
      throw err;
    }
    return (await selectAccessTokens(this.db, 't.id = $1', [id]))[0] as AccessTokenRecord;
  }

  async delete(ownerId: number, id: number): Promise<void> {
    const rows = await this.db.query('DELETE FROM access_tokens WHERE user_id = $1 AND id = $2 RETURNING id', [ownerId, id]);
    if (rows.length === 0) throw new NotFoundError(`token ${id} not found`);
  }

  recordUses(uses: readonly RobotUse[]): Promise<void> {
    return recordLastUses(this.db, 'access_tokens', uses);
  }
}
