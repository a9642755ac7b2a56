import { randomUUID } from 'node:crypto';
import type { Authorizer } from '../auth/authorizer.js';
import type { AuthChain } from '../auth/chain.js';
import type { IdentityTokens } from '../auth/identity-tokens.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { AuditSink } from '../domain/audit.js';
import { InvalidGrantError, InvalidRequestError, ThrottledError, UnauthorizedError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { LoginResult } from '../domain/authn.js';
import type { Identity, ResourceScope } from '../domain/model.js';
import type { Secret } from '../domain/secret.js';
import { buildClaims } from '../token/claims.js';
import type { TokenSigner } from '../token/signer.js';
import { methodOf, TokenAuditRecorder, type TokenTrace } from './token-audit.js';

export type Credentials = { kind: 'anonymous' } | { kind: 'password'; username: string; password: Secret } | { kind: 'refresh'; token: Secret };

export interface TokenRequest {
  service: string;
  scopes: ResourceScope[];
  credentials: Credentials;
  /** The `account` query parameter: when given it must name the authenticated user. */
  account?: string;
  /** `offline_token=true` or `access_type=offline`: the client wants an identity token. */
  offline: boolean;
  clientId: string;
  /** The client's address (the socket's, or X-Forwarded-For from a trusted proxy): the throttle's key. */
  address: string;
  /** For the audit only. */
  userAgent?: string;
}

export interface TokenGrant {
  token: string;
  expiresIn: number;
  issuedAt: Date;
  refreshToken?: string;
  subject: string;
  granted: ResourceScope[];
}

export interface RealmSettings {
  issuer: string;
  service: string;
  ttlSeconds: number;
  allowAnonymous: boolean;
  identityTokens: boolean;
}

export interface RealmDeps {
  chain: AuthChain;
  authorizer: Authorizer;
  identityTokens: IdentityTokens;
  /** The ring of the running service: it signs with whichever key is current at the time. */
  signer: Pick<TokenSigner, 'sign'>;
  throttle: LoginThrottle;
  /** Told of every robot login that gets a token (last used at, from where). */
  robotUsage?: { record(robotId: number, address: string): void };
  /** The same for personal access tokens. */
  accessTokenUsage?: { record(tokenId: number, address: string): void };
  /** Told of every token request, issued or refused; never waits. */
  audit?: AuditSink;
  /** Failed logins are logged with the username and the reason (never the password). */
  logger?: Logger | undefined;
}

/**
 * The realm: authenticate -> authorize -> sign, the whole token endpoint minus HTTP. An
 * unauthorized scope is not an error: the grant holds the permitted subset, possibly empty.
 */
export class Realm {
  readonly #audit: TokenAuditRecorder | undefined;

  constructor(
    private readonly settings: RealmSettings,
    private readonly deps: RealmDeps,
  ) {
    this.#audit = deps.audit ? new TokenAuditRecorder(deps.audit) : undefined;
  }

  async issue(req: TokenRequest): Promise<TokenGrant> {
    const trace: TokenTrace = { at: new Date(), method: req.credentials.kind === 'password' ? 'password' : req.credentials.kind, subject: null };
    if (req.credentials.kind === 'password') trace.subject = req.credentials.username;
    try {
      const grant = await this.#issue(req, trace);
      this.#audit?.record(req, trace);
      return grant;
    } catch (err) {
      this.#audit?.record(req, trace, err);
      throw err;
    }
  }

  async #issue(req: TokenRequest, trace: TokenTrace): Promise<TokenGrant> {
    if (req.service !== this.settings.service) throw new InvalidRequestError(`unknown service "${req.service}"`, 'UNKNOWN_SERVICE');
    const identity = await this.identify(req, trace);
    if (identity) {
      trace.subject = identity.username;
      if (req.credentials.kind === 'password') trace.method = methodOf(identity);
    }
    if (identity?.robot) this.deps.robotUsage?.record(identity.robot.id, req.address);
    if (identity?.accessToken) this.deps.accessTokenUsage?.record(identity.accessToken.id, req.address);
    const decision = await this.deps.authorizer.decide(identity, req.scopes);
    trace.actions = decision.actions;
    trace.granted = decision.granted;
    const issuedAt = Math.floor(Date.now() / 1000);
    const jwtId = randomUUID();
    const claims = buildClaims({
      issuer: this.settings.issuer,
      audience: this.settings.service,
      subject: identity?.username ?? '',
      access: decision.granted,
      issuedAt,
      ttlSeconds: this.settings.ttlSeconds,
      jwtId,
    });
    const grant: TokenGrant = {
      token: await this.deps.signer.sign(claims),
      expiresIn: this.settings.ttlSeconds,
      issuedAt: new Date(issuedAt * 1000),
      subject: claims.sub,
      granted: decision.granted,
    };
    trace.jti = jwtId;
    // A robot's secret and a personal access token are already tokens: no identity token beside
    // them, which would carry the owner's whole rights past the token's limits.
    if (identity && !identity.robot && !identity.accessToken && req.offline && req.credentials.kind === 'password' && this.settings.identityTokens) {
      grant.refreshToken = await this.deps.identityTokens.issue(identity, req.clientId);
    }
    return grant;
  }

  private async identify(req: TokenRequest, trace: TokenTrace): Promise<Identity | null> {
    const creds = req.credentials;
    if (creds.kind === 'anonymous') {
      if (!this.settings.allowAnonymous) {
        trace.refused = 'anonymous_disabled';
        throw new UnauthorizedError('authentication required');
      }
      return null;
    }
    if (creds.kind === 'refresh') {
      // Turning identity tokens off must stop the ones already handed out, too.
      if (!this.settings.identityTokens) throw new InvalidGrantError('identity tokens are disabled on this service');
      // A guessed token costs a hash, not a bcrypt, but guessing is throttled by address all the same.
      const attempt = this.deps.throttle.attempt(req.address, undefined);
      await attempt.beforeCheck();
      try {
        return await this.deps.identityTokens.resolve(creds.token);
      } catch (err) {
        if (err instanceof InvalidGrantError) {
          this.deps.logger?.info({ address: req.address, reason: err.reason, via: 'refresh' }, 'login failed');
          await attempt.failed();
        }
        throw err;
      }
    }
    if (req.account !== undefined && req.account !== '' && req.account !== creds.username) {
      throw new InvalidRequestError('account does not match the authenticated user');
    }
    const result = await this.login(req.address, creds.username, creds.password);
    if (!result.identity) {
      trace.refused = result.refused;
      throw new UnauthorizedError('invalid username or password');
    }
    return result.identity;
  }

  /**
   * A username and password through the chain, under the login throttle: null for wrong
   * credentials, ThrottledError (429) when this address has failed too often. The admin API
   * authenticates through here too.
   */
  async authenticatePassword(address: string, username: string, password: Secret): Promise<Identity | null> {
    return (await this.login(address, username, password)).identity;
  }

  /** authenticatePassword with the reason of a refusal; every refusal is logged (never the password). */
  async login(address: string, username: string, password: Secret): Promise<LoginResult> {
    const attempt = this.deps.throttle.attempt(address, username);
    let result: LoginResult;
    try {
      result = await this.deps.chain.login(username, password, attempt.beforeCheck);
    } catch (err) {
      if (err instanceof ThrottledError) this.deps.logger?.info({ username, address, reason: 'throttled' }, 'login failed');
      throw err;
    }
    if (result.identity) {
      await attempt.succeeded();
    } else {
      this.deps.logger?.info({ username, address, reason: result.refused }, 'login failed');
      await attempt.failed();
    }
    return result;
  }
}
