import type { SerializedDecision } from '../../domain/repositories.js';

/**
 * Every PostgreSQL advisory lock id Portcullis takes, in one place so two can never collide.
 * Any constant shared by every replica will do; the values themselves mean nothing.
 */
export const ADVISORY_LOCKS = {
  migrations: 0x706f7274,
  bootstrap: 0x706f7275,
  admins: 0x706f7276,
  usernames: 0x706f7277,
  auditRetention: 0x706f7278,
  auditAppend: 0x706f7279,
} as const satisfies Record<SerializedDecision | 'migrations' | 'auditRetention' | 'auditAppend', number>;
