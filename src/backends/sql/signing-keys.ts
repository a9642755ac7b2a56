import type { SigningKeyReport, SigningKeysRepository } from '../../domain/repositories.js';
import type { Queryable } from './client.js';

interface Row {
  instance_id: string;
  host: string;
  pid: number;
  signing_kid: string;
  published_kids: string[];
}

/** The replicas' heartbeats (migration 7). */
export class SqlSigningKeys implements SigningKeysRepository {
  constructor(private readonly db: Queryable) {}

  async report(mine: SigningKeyReport, liveSeconds: number, forgetSeconds: number): Promise<SigningKeyReport[]> {
    await this.db.query(
      `INSERT INTO signing_key_replicas (instance_id, host, pid, signing_kid, published_kids, seen_at)
       VALUES ($1, $2, $3, $4, $5::text[], now())
       ON CONFLICT (instance_id) DO UPDATE SET
         host = EXCLUDED.host, pid = EXCLUDED.pid, signing_kid = EXCLUDED.signing_kid,
         published_kids = EXCLUDED.published_kids, seen_at = now()`,
      [mine.instanceId, mine.host, mine.pid, mine.signingKid, mine.publishedKids],
    );
    await this.db.query(`DELETE FROM signing_key_replicas WHERE seen_at < now() - make_interval(secs => $1)`, [forgetSeconds]);
    const rows = await this.db.query<Row>(
      `SELECT instance_id, host, pid, signing_kid, published_kids FROM signing_key_replicas
       WHERE instance_id <> $1 AND seen_at >= now() - make_interval(secs => $2)
       ORDER BY host, pid`,
      [mine.instanceId, liveSeconds],
    );
    return rows.map((r) => ({ instanceId: r.instance_id, host: r.host, pid: r.pid, signingKid: r.signing_kid, publishedKids: r.published_kids }));
  }

  async remove(instanceId: string): Promise<void> {
    await this.db.query('DELETE FROM signing_key_replicas WHERE instance_id = $1', [instanceId]);
  }
}
