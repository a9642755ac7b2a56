import { InvalidRequestError } from '../domain/errors.js';
import type { ResourceScope } from '../domain/model.js';

export interface ScopeLimits {
  maxScopes: number;
  maxScopeLength: number;
}

const TYPE = /^([a-z0-9_-]+)(?:\(([a-z0-9_.-]+)\))?$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this refuses in names
const CONTROL = /[\u0000-\u0020\u007f]/;

/**
 * Parses one scope. The name may itself hold `host:port/` and `/`, so the type ends at the
 * first colon and the actions start after the last one.
 */
export function parseScope(raw: string): ResourceScope {
  const first = raw.indexOf(':');
  const last = raw.lastIndexOf(':');
  if (first <= 0 || last === first) throw new InvalidRequestError(`invalid scope "${raw}": expected type:name:actions`, 'INVALID_SCOPE');
  const typeMatch = TYPE.exec(raw.slice(0, first));
  if (!typeMatch) throw new InvalidRequestError(`invalid scope "${raw}": bad resource type`, 'INVALID_SCOPE');
  const name = raw.slice(first + 1, last);
  if (name.length === 0 || CONTROL.test(name)) throw new InvalidRequestError(`invalid scope "${raw}": bad resource name`, 'INVALID_SCOPE');
  const actions = raw
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  return { type: (typeMatch[1] as string).toLowerCase(), name, actions: unique(actions) };
}

/**
 * Parses every scope a request carries: repeated parameters, each possibly holding several
 * space-separated scopes (the OAuth2 form). Repeats of a resource are merged into one.
 */
export function parseScopes(values: readonly string[], limits: ScopeLimits): ResourceScope[] {
  const raws = values.flatMap((v) => v.split(' ')).filter((s) => s.length > 0);
  if (raws.length > limits.maxScopes) throw new InvalidRequestError(`too many scopes: at most ${limits.maxScopes}`, 'INVALID_SCOPE');
  for (const raw of raws) {
    if (raw.length > limits.maxScopeLength) throw new InvalidRequestError(`scope longer than ${limits.maxScopeLength} characters`, 'INVALID_SCOPE');
  }
  return mergeScopes(raws.map(parseScope));
}

/** Merges scopes naming the same (type, name), keeping first-seen order. */
export function mergeScopes(scopes: readonly ResourceScope[]): ResourceScope[] {
  const byKey = new Map<string, ResourceScope>();
  for (const s of scopes) {
    const key = `${s.type}\u0000${s.name}`;
    const seen = byKey.get(key);
    if (seen) seen.actions = unique([...seen.actions, ...s.actions]);
    else byKey.set(key, { type: s.type, name: s.name, actions: [...s.actions] });
  }
  return [...byKey.values()];
}

export function formatScope(s: ResourceScope): string {
  return `${s.type}:${s.name}:${s.actions.join(',')}`;
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
