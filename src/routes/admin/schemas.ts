import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { ROLES } from '../../domain/model.js';

const strict = { additionalProperties: false } as const;
const password = (description: string) => Type.String({ minLength: 1, maxLength: 1024, description });

export const Role = Type.Union(
  ROLES.map((r) => Type.Literal(r)),
  { description: 'admin and maintainer: pull, push, delete; developer: pull, push; guest and limitedGuest: pull' },
);
export const NameParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) }, strict);
export const MemberParams = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'the project' }),
    principal: Type.String({ minLength: 1, maxLength: 300, description: 'a username, or group:NAME for a directory group' }),
  },
  strict,
);

export const User = Type.Object({
  username: Type.String(),
  admin: Type.Boolean(),
  disabled: Type.Boolean(),
  source: Type.String({ description: 'local (password in the store) or ldap (the directory checks it)' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export const NewUser = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 255 }),
    password: password('at least 8 characters, at most 72 bytes in UTF-8'),
    admin: Type.Optional(Type.Boolean()),
  },
  strict,
);
export const UserPatch = Type.Object(
  {
    password: Type.Optional(password('a new password revokes the identity tokens of the user')),
    admin: Type.Optional(Type.Boolean()),
    disabled: Type.Optional(Type.Boolean({ description: 'disabling revokes the identity tokens of the user' })),
  },
  { ...strict, minProperties: 1 },
);

/** The caller's own account: `admin` is what the caller holds now, directory admin groups included. */
export const Me = Type.Composite([User, Type.Object({ groups: Type.Array(Type.String(), { description: 'directory groups (LDAP users only)' }) })]);
export const PasswordChange = Type.Object(
  {
    oldPassword: password('the current password, checked (and throttled) like a login'),
    newPassword: password('at least 8 characters, at most 72 bytes in UTF-8'),
  },
  strict,
);

export const Project = Type.Object({ name: Type.String(), public: Type.Boolean(), createdAt: Type.String({ format: 'date-time' }) });
export const NewProject = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 255 }), public: Type.Optional(Type.Boolean({ description: 'anyone may pull, anonymous users included' })) },
  strict,
);
export const ProjectPatch = Type.Object({ public: Type.Boolean() }, strict);

export const Member = Type.Object({ kind: Type.Union([Type.Literal('user'), Type.Literal('group')]), name: Type.String(), role: Role });
export const MemberSet = Type.Composite([
  Member,
  Type.Object({
    warning: Type.Optional(
      Type.String({ description: 'with LDAP configured: the directory does not know the group (or could not be asked); the membership is set all the same' }),
    ),
  }),
]);
export const UserDetail = Type.Composite([
  User,
  Type.Object({
    memberships: Type.Array(Type.Object({ project: Type.String(), role: Role }), { description: 'the projects the user is a direct member of' }),
  }),
]);
export const MemberBody = Type.Object({ role: Role }, strict);

const Action = Type.Union([Type.Literal('pull'), Type.Literal('push'), Type.Literal('delete')]);
export const RobotPermission = Type.Object(
  {
    project: Type.String({ minLength: 1, maxLength: 255, description: 'a project, or * for every project (system robots only)' }),
    actions: Type.Array(Action, { minItems: 1, maxItems: 3, uniqueItems: true }),
  },
  strict,
);
const expiresInDays = Type.Optional(
  Type.Union([Type.Integer({ minimum: -1, maximum: 3650 }), Type.Null()], { description: 'days from now until it expires; -1, null or absent: never' }),
);
export const RobotNameParam = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 400, description: 'the full login name, URL-encoded: robot%24team%2Bci' }) },
  strict,
);
export const RobotQuery = Type.Object(
  { project: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'only the robots of this project' })) },
  strict,
);
export const Robot = Type.Object({
  name: Type.String({ description: 'the login name: robot$PROJECT+NAME for a project robot, robot$NAME for a system robot' }),
  project: Type.Union([Type.String(), Type.Null()], { description: 'the project a project robot belongs to; null for a system robot' }),
  description: Type.String(),
  disabled: Type.Boolean(),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null: never' }),
  permissions: Type.Array(Type.Object({ project: Type.String({ description: '* for every project' }), actions: Type.Array(Type.String()) })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'the last login, recorded within about 30 s' }),
  lastUsedIp: Type.Union([Type.String(), Type.Null()]),
});
export const RobotWithSecret = Type.Composite([
  Robot,
  Type.Object({ secret: Type.String({ description: 'the password to log in with; shown only now, never again' }) }),
]);
export const NewRobot = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'the short name: lowercase letters, digits and single . _ - separators' }),
    project: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'makes a project robot of that project; absent: a system robot' })),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    expiresInDays,
    permissions: Type.Array(RobotPermission, { minItems: 1, maxItems: 100 }),
  },
  strict,
);
export const RobotPatch = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    disabled: Type.Optional(Type.Boolean()),
    expiresInDays,
    permissions: Type.Optional(Type.Array(RobotPermission, { minItems: 1, maxItems: 100, description: 'replaces every permission' })),
  },
  { ...strict, minProperties: 1 },
);

export const AccessToken = Type.Object({
  id: Type.Integer({ description: 'what revoking names it by' }),
  owner: Type.String(),
  name: Type.String(),
  projects: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'null: every project the owner can reach' }),
  actions: Type.Array(Action),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null: never' }),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'the last use, recorded within about 30 s' }),
  lastUsedIp: Type.Union([Type.String(), Type.Null()]),
});
export const AccessTokenWithSecret = Type.Composite([
  AccessToken,
  Type.Object({ token: Type.String({ description: 'pcp_...: the password to give registry clients with your username; shown only now' }) }),
]);
export const NewAccessToken = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, description: 'unique among your tokens: letters, digits and . _ -' }),
    projects: Type.Optional(
      Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 100, uniqueItems: true }), Type.Null()], {
        description: 'the only projects the token reaches; absent or null: every project you can reach',
      }),
    ),
    actions: Type.Optional(Type.Array(Action, { minItems: 1, maxItems: 3, uniqueItems: true, description: 'absent: pull, push and delete' })),
    expiresInDays: Type.Optional(
      Type.Union([Type.Integer({ minimum: -1, maximum: 3650 }), Type.Null()], { description: 'days from now until it expires; absent: 90; -1 or null: never' }),
    ),
  },
  strict,
);
// Path parameters are strings (types are never coerced here); 9 digits stay inside an int4 id.
const tokenId = Type.String({ pattern: '^[1-9][0-9]{0,8}$', description: "the token's id" });
export const TokenIdParam = Type.Object({ id: tokenId }, strict);
export const UserTokenParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }), id: tokenId }, strict);

/** OpenAPI wants a description on every response. */
export const described = <T extends TSchema>(schema: T, description: string): T => ({ ...schema, description });
export const NoContent = (description: string) => Type.Null({ description });

const ERRORS = {
  400: 'INVALID_REQUEST: the body or a path parameter is invalid',
  401: 'UNAUTHORIZED: no credentials, wrong ones, or a disabled account',
  403: 'DENIED: the caller may not do this (not a system admin, or not an admin of the project)',
  404: 'NOT_FOUND: no such user, project, member or robot',
  409: 'CONFLICT: the change conflicts with what exists',
  415: 'UNSUPPORTED_MEDIA_TYPE: the body is not application/json',
  429: 'TOOMANYREQUESTS: too many failed logins from this address; see Retry-After',
  503: 'BACKEND_UNAVAILABLE or OVERLOADED: the store or directory is down, or too many password checks are queued; see Retry-After',
} as const;
type ErrorStatus = keyof typeof ERRORS;

/**
 * The registry's error shape, which every failure has (src/routes/errors.ts). A shared schema
 * (`app.addSchema`): the document names it once, as components.schemas.Error.
 */
export const ErrorBody = Type.Object(
  { errors: Type.Array(Type.Object({ code: Type.String(), message: Type.String() }), { minItems: 1 }) },
  { $id: 'Error', description: "the registry's error shape" },
);
const errorRef = (description: string) => Type.Unsafe<Static<typeof ErrorBody>>({ $ref: 'Error#', description });

/** What any authenticated route may answer; admin routes add 403, routes with a body 400 and 415. */
export const AS_USER = [401, 429, 503] as const;
export const AS_ADMIN = [...AS_USER, 403] as const;
export const WITH_BODY = [400, 415] as const;

/** Error responses for a route schema, each described (a route may say more about one). */
export function errors<S extends ErrorStatus>(statuses: readonly S[], described: Partial<Record<S, string>> = {}): Record<S, ReturnType<typeof errorRef>> {
  const out = {} as Record<S, ReturnType<typeof errorRef>>;
  for (const s of statuses) out[s] = errorRef(described[s] ?? ERRORS[s]);
  return out;
}
