import type { Authorizer } from '../auth/authorizer.js';
import type { AuthChain } from '../auth/chain.js';
import type { ActionDecision } from '../auth/permissions.js';
import { robotIdentity, robotRefusal } from '../auth/robots.js';
import type { LoginRefusal } from '../domain/audit.js';
import { NotFoundError } from '../domain/errors.js';
import { type Identity, ROBOT_PREFIX, type ResourceScope } from '../domain/model.js';
import type { Store } from '../domain/repositories.js';

export interface Explanation {
  /** null: anonymous. */
  account: string | null;
  /** Why a login of this account would be refused now, whatever the password; absent: it would pass. */
  loginRefused?: LoginRefusal;
  granted: ResourceScope[];
  actions: (ActionDecision & { explanation: string })[];
}

/** One decision in words: what granted it, or why not. */
export function describe(d: ActionDecision): string {
  const where = d.project === undefined ? '' : ` project ${d.project}`;
  switch (d.rule) {
    case 'system_admin':
      return 'system admin';
    case 'role':
      return `role ${d.role} in${where}${d.group ? ` via group ${d.group}` : ''}`;
    case 'public_project':
      return `${where.trim()} is public`;
    case 'robot_permission':
      return `robot permission on ${d.permission === '*' ? 'every project' : `project ${d.permission}`}`;
    case 'no_such_project':
      return `${where.trim()} does not exist`;
    case 'not_a_member':
      return `not a member of${where}`;
    case 'role_lacks_pull':
    case 'role_lacks_push':
    case 'role_lacks_delete':
      return `role ${d.role} in${where}${d.group ? ` via group ${d.group}` : ''} does not allow ${d.rule.slice('role_lacks_'.length)}`;
    case 'project_private':
      return `${where.trim()} is private and the caller is anonymous`;
    case 'robot_lacks_permission':
      return `the robot has no ${d.action} permission on${where}`;
    case 'admin_only':
      return 'only system admins may list the catalog';
    case 'not_every_action':
      return `* needs pull, push and delete, and${where} does not allow them all`;
    case 'unknown_resource':
      return 'unknown resource type or action';
    default:
      return d.rule;
  }
}

/**
 * `explain`: for an account and scopes, what a token would hold and the rule behind each
 * action. The identity is resolved without a password the way an identity token re-resolves
 * its user (directory groups included); the decision is the authorizer's, the one the realm
 * uses, not a second implementation.
 */
export class Explainer {
  constructor(
    private readonly store: Pick<Store, 'users' | 'robots'>,
    private readonly chain: AuthChain,
    private readonly authorizer: Authorizer,
    private readonly now: () => number = Date.now,
  ) {}

  async explain(account: string | null, scopes: readonly ResourceScope[]): Promise<Explanation> {
    const { identity, loginRefused } = account === null ? { identity: null, loginRefused: undefined } : await this.#resolve(account);
    const decision = await this.authorizer.decide(identity, scopes);
    return {
      account,
      ...(loginRefused ? { loginRefused } : {}),
      granted: decision.granted,
      actions: decision.actions.map((a) => ({ ...a, explanation: describe(a) })),
    };
  }

  async #resolve(account: string): Promise<{ identity: Identity; loginRefused: LoginRefusal | undefined }> {
    if (account.startsWith(ROBOT_PREFIX)) {
      const robot = await this.store.robots.find(account);
      if (!robot) throw new NotFoundError(`robot ${account} not found`);
      return { identity: robotIdentity(robot), loginRefused: robotRefusal(robot, this.now()) };
    }
    const user = await this.store.users.find(account);
    // A directory user is known here once they have logged in.
    if (!user) throw new NotFoundError(`user ${account} not found (a directory user is known after their first login)`);
    const identity = await this.chain.refresh(user);
    if (identity) return { identity, loginRefused: undefined };
    // Disabled (or gone from the directory): what the account would get if it could log in.
    return {
      identity: { username: user.username, userId: user.id, admin: user.admin, groups: [], source: user.source },
      loginRefused: user.disabled ? 'disabled' : 'unknown_user',
    };
  }
}
