import type { RobotUse } from '../../domain/repositories.js';
import type { Queryable } from './client.js';

/**
 * Records when and from where credentials of `table` (robots, access_tokens) were last used:
 * one UPDATE per credential; a use older than the recorded one (another replica's) is kept out.
 */
export async function recordLastUses(db: Queryable, table: 'robots' | 'access_tokens', uses: readonly RobotUse[]): Promise<void> {
  for (const use of uses) {
    await db.query(`UPDATE ${table} SET last_used_at = $2, last_used_ip = $3 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`, [
      use.id,
      use.at,
      use.ip,
    ]);
  }
}
