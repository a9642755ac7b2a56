import { AdminClient } from '../../src/cli/admin-client.js';
import { ADMIN } from './portcullis-process.js';

/** The one account every target serves: a developer of the private project team. */
export const ALICE = { username: 'alice', password: 'alice-bench-password' };

/** The measured request: what a docker push of team/app, FROM library/base, asks for. */
export const TOKEN_PATH = '/token?service=registry&scope=repository:team/app:pull,push&scope=repository:library/base:pull';

export const basic = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** A project robot with the same rights on team as alice: the robot-login row's credentials. */
export async function seedRobot(url: string): Promise<string> {
  const admin = new AdminClient({ url, user: ADMIN.username, password: ADMIN.password });
  const robot = await admin.call<{ name: string; secret: string }>('POST', '/robots', {
    name: 'bench',
    project: 'team',
    permissions: [{ project: 'team', actions: ['pull', 'push'] }],
  });
  return basic(robot.name, robot.secret);
}

/** Creates alice and the project team through the admin API, as an operator would. */
export async function seed(url: string): Promise<void> {
  const admin = new AdminClient({ url, user: ADMIN.username, password: ADMIN.password });
  await admin.call('POST', '/users', { username: ALICE.username, password: ALICE.password });
  await admin.call('POST', '/projects', { name: 'team' });
  await admin.call('PUT', `/projects/team/members/${ALICE.username}`, { role: 'developer' });
}

/**
 * One token request, which also fills the credential cache: it must answer 200 with a token
 * granting push on team/app, or the bench would time the wrong thing.
 */
export async function warmUp(url: string, authorization = basic(ALICE.username, ALICE.password)): Promise<void> {
  const res = await fetch(url + TOKEN_PATH, { headers: { authorization } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url}${TOKEN_PATH} answered ${res.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
  const payload = body.token?.split('.')[1];
  if (!payload || body.access_token !== body.token || typeof body.expires_in !== 'number' || typeof body.issued_at !== 'string') {
    throw new Error(`${url}${TOKEN_PATH} answered an unexpected body: ${text.slice(0, 300)}`);
  }
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { access?: { name: string; actions: string[] }[] };
  const app = claims.access?.find((a) => a.name === 'team/app');
  if (!app?.actions.includes('push')) throw new Error(`${url}: the token does not grant push on team/app: ${JSON.stringify(claims.access)}`);
}
