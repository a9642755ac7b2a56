import { randomBytes } from 'node:crypto';
import type { PasswordHasher } from '../auth/password-hasher.js';
import type { Store } from '../backends/store.js';
import { DEFAULT_PROJECT } from '../auth/permissions.js';
import { Secret } from '../secret.js';

const BOOTSTRAP_LOCK = 0x706f7275;

export interface BootstrapResult {
  /** Set only when this start created the admin with a generated password, to print once. */
  generatedPassword?: Secret;
  created: boolean;
}

/**
 * On the first start (no users yet) creates the local admin and the public `library` project.
 * Later starts change nothing, so an admin who removed either keeps it removed.
 */
export async function bootstrap(store: Store, hasher: PasswordHasher, admin: { username: string; password?: string }): Promise<BootstrapResult> {
  if ((await store.users.count()) > 0) return { created: false };
  const generated = admin.password === undefined;
  const password = new Secret(admin.password ?? randomBytes(18).toString('base64url'));
  const passwordHash = await hasher.hash(password);
  const created = await store.db.transaction(async (tx) => {
    // A replica starting at the same moment may have won the race; only one creates.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
    const rows = await tx.query(
      `INSERT INTO users (username, password_hash, source, admin)
       SELECT $1, $2, 'local', true WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING id`,
      [admin.username, passwordHash],
    );
    if (rows.length === 0) return false;
    await tx.query('INSERT INTO projects (name, public) VALUES ($1, true) ON CONFLICT (name) DO NOTHING', [DEFAULT_PROJECT]);
    return true;
  });
  return created && generated ? { created, generatedPassword: password } : { created };
}
