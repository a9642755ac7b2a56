/**
 * The audit trail: who got which token and why, who changed what, and what the registry did.
 * Entries are facts recorded after the event; nothing here ever holds a password, secret or token.
 */

export const AUDIT_KINDS = ['token', 'change', 'registry'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** What became of a token request. `partial`: some requested actions granted, not all. */
export const TOKEN_OUTCOMES = ['granted', 'partial', 'denied', 'unauthorized', 'throttled', 'error'] as const;
export type TokenOutcome = (typeof TOKEN_OUTCOMES)[number];

export const CHANGE_OUTCOMES = ['ok', 'error'] as const;
export type ChangeOutcome = (typeof CHANGE_OUTCOMES)[number];

/** The registry's notification actions. */
export const REGISTRY_ACTIONS = ['push', 'pull', 'delete', 'mount'] as const;
export type RegistryAction = (typeof REGISTRY_ACTIONS)[number];

/** Every value `outcome` takes, over all kinds (a registry event's outcome is its action). */
export const AUDIT_OUTCOMES = [...TOKEN_OUTCOMES, ...CHANGE_OUTCOMES, ...REGISTRY_ACTIONS] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** How a token request proved who it was. */
export type AuthMethod = 'anonymous' | 'password' | 'ldap' | 'robot' | 'refresh' | 'pat';

/**
 * Why a login was refused: the whole request is refused, so every requested action carries it.
 * `unknown_user` and `bad_password` are told apart in the audit (for the operator), never to the
 * client, which gets the same 401 for both.
 */
export const LOGIN_REFUSALS = ['bad_password', 'unknown_user', 'disabled', 'expired', 'invalid_token', 'anonymous_disabled'] as const;
export type LoginRefusal = (typeof LOGIN_REFUSALS)[number];

/** Why one action on one resource was not granted to an authenticated (or anonymous) caller. */
export const DENIAL_REASONS = [
  'no_such_project',
  'not_a_member',
  'role_lacks_pull',
  'role_lacks_push',
  'role_lacks_delete',
  'project_private',
  'robot_lacks_permission',
  'token_limits',
  'admin_only',
  'not_every_action',
  'unknown_resource',
] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];

/** A request that never reached the permission check. */
export type RequestFailure = LoginRefusal | 'throttled' | 'backend_unavailable' | 'invalid_request' | 'error';

export type ReasonCode = DenialReason | RequestFailure;

/** One requested action that was not granted, and why. */
export interface DeniedAction {
  /** `type:name`, as in the scope. */
  resource: string;
  action: string;
  reason: ReasonCode;
}

export interface TokenAuditDetail {
  method: AuthMethod;
  clientId?: string;
  userAgent?: string;
  requested: string[];
  granted: string[];
  denied: DeniedAction[];
  /** Why the request as a whole was refused (a login refused, throttled, an error). */
  reason?: ReasonCode;
  /** The token's `jti`; absent when no token was issued. */
  jti?: string;
}

export interface ChangeAuditDetail {
  /** e.g. `PATCH /users/:name`. */
  action: string;
  /** The route's parameters: what was changed. */
  target: Record<string, string>;
  /** The fields sent; a password, secret or token shows as `***`, never its value. */
  fields: Record<string, unknown>;
  status: number;
}

export interface RegistryAuditDetail {
  tag?: string;
  digest?: string;
  mediaType?: string;
  /** The registry that sent the event (its `source.addr`). */
  source?: string;
  /** The registry's own event id: a retried notification is recognised by it. */
  eventId?: string;
  /** mount: the repository the blob came from. */
  from?: string;
}

interface EntryBase {
  at: Date;
  /** The account: the token's subject, the admin who made the change, the registry's actor; null: anonymous. */
  subject: string | null;
  /** The client's address (token, change) or the request's address the registry saw. */
  address: string | null;
  /** Projects the entry concerns: what project admins may see. */
  projects: string[];
  repositories: string[];
}

export type NewAuditEntry =
  | (EntryBase & { kind: 'token'; outcome: TokenOutcome; detail: TokenAuditDetail })
  | (EntryBase & { kind: 'change'; outcome: ChangeOutcome; detail: ChangeAuditDetail })
  | (EntryBase & { kind: 'registry'; outcome: RegistryAction; detail: RegistryAuditDetail });

export type AuditEntry = NewAuditEntry & { id: string };

export interface AuditFilter {
  from?: Date;
  to?: Date;
  subject?: string;
  /** A repository name, or a project (every repository in it). */
  repository?: string;
  project?: string;
  outcome?: AuditOutcome;
  kind?: AuditKind;
}

/** Who is reading: everything, or the entries of the projects the caller administers. */
export type AuditReader = { all: true } | { all: false; userId: number; groups: readonly string[] };

export interface AuditPageRequest {
  /** newest first (`desc`, the default) or oldest first (`asc`, for following new entries). */
  order: 'asc' | 'desc';
  /** Entries after this id in the order asked for. */
  afterId?: string;
  limit: number;
}

/**
 * The audit trail's unit of storage: a batch of entries, encoded once, with the summary a store
 * keeps beside it so that a read can skip segments that cannot match.
 */
export interface AuditSegment {
  firstAt: Date;
  lastAt: Date;
  entries: number;
  kinds: string[];
  /** An anonymous entry's subject (null) is summarised as ''. */
  subjects: string[];
  outcomes: string[];
  projects: string[];
  repositories: string[];
  /** The entries, as `decodeSegment` reads them back. */
  body: string;
}

export interface AuditRepository {
  /** Writes the segment in one statement. Throws BackendUnavailableError when the store is down. */
  append(segment: AuditSegment): Promise<void>;
  list(filter: AuditFilter, reader: AuditReader, page: AuditPageRequest): Promise<AuditEntry[]>;
  /**
   * Deletes entries older than `before` and returns how many, or null without deleting when
   * another replica is sweeping at this moment (one sweep at a time is enough).
   */
  sweep(before: Date): Promise<number | null>;
}

/** Where the hot path hands entries: never waits, never throws. */
export interface AuditSink {
  /** Returns the entry's number, or 0 when it could not be kept (counted as dropped). */
  record(entry: NewAuditEntry): number;
  /**
   * Records an entry equal to entry number `seq` but for its time and its inline values (a
   * token's jti), and returns its number; or returns 0 and records nothing when `seq` is not the
   * last entry recorded any more, or cannot be repeated: the caller then records the entry whole.
   * A client asking again for the same thing costs the hot path next to nothing this way.
   */
  repeat?(seq: number, at: Date, inline: readonly string[]): number;
}
