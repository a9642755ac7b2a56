import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { UserRecord, UserSource } from '../../domain/model.js';
import type { NewUser, UserPatch, UsersRepository } from '../../domain/repositories.js';
import { isUniqueViolation, type Queryable } from './client.js';

interface UserRow {
  id: number;
  username: string;
  password_hash: string | null;
  source: UserSource;
  admin: boolean;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export const USER_COLUMNS = 'u.id, u.username, u.password_hash, u.source, u.admin, u.disabled, u.created_at, u.updated_at';

export function toUser(r: UserRow): UserRecord {
  return {
    id: r.id,
    username: r.username,
    passwordHash: r.password_hash,
    source: r.source,
    admin: r.admin,
    disabled: r.disabled,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class SqlUsers implements UsersRepository {
  constructor(private readonly db: Queryable) {}

  async find(username: string): Promise<UserRecord | null> {
    const rows = await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.username = $1`, [username]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async findCaseless(username: string): Promise<UserRecord | null> {
    const rows = await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE lower(u.username) = lower($1) ORDER BY u.id LIMIT 1`, [username]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async lookAlikes(): Promise<string[][]> {
    const rows = await this.db.query<{ names: string[] }>(
      'SELECT array_agg(username ORDER BY username) AS names FROM users GROUP BY lower(username) HAVING count(*) > 1',
    );
    return rows.map((r) => r.names);
  }

  async list(): Promise<UserRecord[]> {
    return (await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u ORDER BY u.username`)).map(toUser);
  }

  async count(): Promise<number> {
    const rows = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    return rows[0]?.n ?? 0;
  }

  async countActiveAdmins(): Promise<number> {
    const rows = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE admin AND NOT disabled');
    return rows[0]?.n ?? 0;
  }

  async create(user: NewUser): Promise<UserRecord> {
    try {
      const rows = await this.db.query<UserRow>(
        `INSERT INTO users AS u (username, password_hash, source, admin) VALUES ($1, $2, $3, $4) RETURNING ${USER_COLUMNS}`,
        [user.username, user.passwordHash, user.source, user.admin],
      );
      return toUser(rows[0] as UserRow);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`user ${user.username} already exists`);
      throw err;
    }
  }

  async ensureExternal(username: string, source: UserSource): Promise<UserRecord> {
    await this.db.query('INSERT INTO users (username, source) VALUES ($1, $2) ON CONFLICT (username) DO NOTHING', [username, source]);
    const user = await this.find(username);
    if (!user) throw new NotFoundError(`user ${username} not found`);
    return user;
  }

  async update(username: string, patch: UserPatch): Promise<UserRecord> {
    const rows = await this.db.query<UserRow>(
      `UPDATE users AS u SET
         password_hash = COALESCE($2, u.password_hash),
         admin = COALESCE($3, u.admin),
         disabled = COALESCE($4, u.disabled),
         updated_at = now()
       WHERE u.username = $1 RETURNING ${USER_COLUMNS}`,
      [username, patch.passwordHash ?? null, patch.admin ?? null, patch.disabled ?? null],
    );
    if (!rows[0]) throw new NotFoundError(`user ${username} not found`);
    return toUser(rows[0]);
  }

  async delete(username: string): Promise<void> {
    const rows = await this.db.query('DELETE FROM users WHERE username = $1 RETURNING id', [username]);
    if (rows.length === 0) throw new NotFoundError(`user ${username} not found`);
  }
}
