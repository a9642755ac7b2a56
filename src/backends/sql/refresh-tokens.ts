import type { RefreshTokenRecord } from '../../domain/model.js';
import type { RefreshTokensRepository } from '../../domain/repositories.js';
import type { Queryable } from './client.js';
import { USER_COLUMNS, toUser } from './users.js';

export class SqlRefreshTokens implements RefreshTokensRepository {
  constructor(private readonly db: Queryable) {}

  async create(tokenHash: string, userId: number, clientId: string, expiresAt: Date | null): Promise<void> {
    await this.db.query('INSERT INTO refresh_tokens (token_hash, user_id, client_id, expires_at) VALUES ($1, $2, $3, $4)', [
      tokenHash,
      userId,
      clientId,
      expiresAt,
    ]);
  }

  async find(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const rows = await this.db.query<Parameters<typeof toUser>[0] & { expires_at: Date | null }>(
      `UPDATE refresh_tokens t SET last_used_at = now() FROM users u
       WHERE t.token_hash = $1 AND u.id = t.user_id
       RETURNING ${USER_COLUMNS}, t.expires_at`,
      [tokenHash],
    );
    const row = rows[0];
    return row ? { user: toUser(row), expiresAt: row.expires_at } : null;
  }

  async revokeForUser(userId: number): Promise<number> {
    return (await this.db.query('DELETE FROM refresh_tokens WHERE user_id = $1 RETURNING token_hash', [userId])).length;
  }

  async keepNewest(userId: number, keep: number, clientId?: string): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM refresh_tokens WHERE token_hash IN (
         SELECT token_hash FROM refresh_tokens WHERE user_id = $1 AND ($3::text IS NULL OR client_id = $3)
         ORDER BY created_at DESC, token_hash OFFSET $2)
       RETURNING token_hash`,
      [userId, keep, clientId ?? null],
    );
    return rows.length;
  }

  async deleteExpired(now: Date): Promise<number> {
    return (await this.db.query('DELETE FROM refresh_tokens WHERE expires_at < $1 RETURNING token_hash', [now])).length;
  }
}
