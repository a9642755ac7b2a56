import { randomBytes } from 'node:crypto';
import type { PasswordHasher } from '../auth/password-hasher.js';
import { ConfigError } from '../domain/errors.js';
import { DEFAULT_PROJECT } from '../domain/model.js';
import type { Store } from '../domain/repositories.js';
import { Secret } from '../domain/secret.js';
import { checkPassword } from './names.js';

export interface BootstrapResult {
  /** Set only when this start created the admin with a generated password, to print once. */
  generatedPassword?: Secret;
  created: boolean;
}

/**
 * On the first start (no users yet) creates the local admin and the public `library` project.
 * Later starts change nothing, so an admin who removed either keeps it removed.
 */
export async function bootstrap(store: Store, hasher: PasswordHasher, admin: { username: string; password?: string | undefined }): Promise<BootstrapResult> {
  if ((await store.users.count()) > 0) return { created: false };
  if (admin.password !== undefined) {
    try {
      checkPassword(admin.password);
    } catch (err) {
      throw new ConfigError(`admin.password (PORTCULLIS_ADMIN_PASSWORD) is refused: ${(err as Error).message}`);
    }
  }
  const generated = admin.password === undefined;
  const password = new Secret(admin.password ?? randomBytes(18).toString('base64url'));
  const passwordHash = await hasher.hash(password);
  // A replica starting at the same moment may have won the race; only one creates.
  const created = await store.serialized('bootstrap', async (tx) => {
    if ((await tx.users.count()) > 0) return false;
    await tx.users.create({ username: admin.username, passwordHash, source: 'local', admin: true });
    if (!(await tx.projects.find(DEFAULT_PROJECT))) await tx.projects.create(DEFAULT_PROJECT, true);
    return true;
  });
  return created && generated ? { created, generatedPassword: password } : { created };
}
