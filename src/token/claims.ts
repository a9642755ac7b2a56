import type { ResourceScope } from '../domain/model.js';

export interface ClaimsInput {
  issuer: string;
  audience: string;
  subject: string;
  access: readonly ResourceScope[];
  issuedAt: number;
  ttlSeconds: number;
  jwtId: string;
}

/** The JWT claim set the registry checks; times are whole seconds because 2.8 refuses fractions. */
export interface RegistryClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: { type: string; name: string; actions: string[] }[];
}

export function buildClaims(input: ClaimsInput): RegistryClaims {
  const iat = Math.floor(input.issuedAt);
  return {
    iss: input.issuer,
    sub: input.subject,
    aud: input.audience,
    exp: iat + input.ttlSeconds,
    nbf: iat,
    iat,
    jti: input.jwtId,
    access: input.access.map((a) => ({ type: a.type, name: a.name, actions: [...a.actions] })),
  };
}
