import { Type } from '@sinclair/typebox';
import { ROLES } from '../../domain/model.js';

const strict = { additionalProperties: false } as const;

export const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
export const NameParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) }, strict);
export const MemberParams = Type.Object({ name: Type.String({ minLength: 1 }), principal: Type.String({ minLength: 1, maxLength: 300 }) }, strict);

export const User = Type.Object({
  username: Type.String(),
  admin: Type.Boolean(),
  disabled: Type.Boolean(),
  source: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export const NewUser = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 255 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    admin: Type.Optional(Type.Boolean()),
  },
  strict,
);
export const UserPatch = Type.Object(
  {
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    admin: Type.Optional(Type.Boolean()),
    disabled: Type.Optional(Type.Boolean()),
  },
  { ...strict, minProperties: 1 },
);

export const Project = Type.Object({ name: Type.String(), public: Type.Boolean(), createdAt: Type.String() });
export const NewProject = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }), public: Type.Optional(Type.Boolean()) }, strict);
export const ProjectPatch = Type.Object({ public: Type.Boolean() }, strict);

export const Member = Type.Object({ kind: Type.Union([Type.Literal('user'), Type.Literal('group')]), name: Type.String(), role: Role });
export const MemberBody = Type.Object({ role: Role }, strict);
