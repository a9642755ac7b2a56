import { publicUrl } from '../config/load.js';
import type { Config } from '../config/schema.js';

export const SECRET_PLACEHOLDER = '<audit.events.secret, or PORTCULLIS_EVENTS_SECRET>';

/**
 * The registry's `notifications` block that sends its events to POST /events: pushes, pulls,
 * deletes and mounts then reach the audit trail with the token's subject as the actor. Without
 * a configured secret it shows where the secret goes (Portcullis refuses events until it has one).
 */
export function notificationsBlock(config: Config): Record<string, unknown> {
  return {
    notifications: {
      endpoints: [
        {
          name: 'portcullis-audit',
          url: `${publicUrl(config)}/events`,
          headers: { Authorization: [`Bearer ${config.audit.events.secret ?? SECRET_PLACEHOLDER}`] },
          timeout: '2s',
          threshold: 5,
          backoff: '5s',
        },
      ],
    },
  };
}
