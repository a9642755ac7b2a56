/**
 * The placeholders in the LDAP options (`{username}`, `{dn}`) and how values are escaped into
 * them. Here rather than in backends/ldap because resolving the config checks every template.
 */
import { createRequire } from 'node:module';
import type { FilterParser } from 'ldapts';
import { ConfigError } from '../domain/errors.js';

/**
 * ldapts' filter parser, loaded only when a filter is checked: a start without LDAP then does not
 * load the LDAP client at all (40 ms and 6 MB). Its CommonJS build, as loading is synchronous here.
 */
const filterParser = (): typeof FilterParser => (createRequire(import.meta.url)('ldapts') as { FilterParser: typeof FilterParser }).FilterParser;

/** RFC 4514 §2.4: escapes one attribute value for use inside a DN. */
export function escapeDnValue(value: string): string {
  const chars = [...value];
  return chars
    .map((ch, i) => {
      if (ch === '\u0000') return '\\00';
      if ('"+,;<>\\='.includes(ch)) return `\\${ch}`;
      // Leading space or '#', and a trailing space, would change how the server parses the DN.
      if ((i === 0 && (ch === ' ' || ch === '#')) || (i === chars.length - 1 && ch === ' ')) return `\\${ch}`;
      return ch;
    })
    .join('');
}

const FILTER_SPECIALS: Record<string, string> = { '*': '\\2a', '(': '\\28', ')': '\\29', '\\': '\\5c', '\u0000': '\\00' };

/** RFC 4515 §3: escapes one assertion value for use inside a search filter. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters RFC 4515 escapes
export const escapeFilterValue = (value: string): string => value.replace(/[*()\\\u0000]/g, (ch) => FILTER_SPECIALS[ch] as string);

type Placeholders = Record<string, string>;

/**
 * Fills `{name}` placeholders, escaping every value; a placeholder the caller does not supply is
 * a configuration error, so a typo fails at start instead of matching nothing.
 */
export function fillTemplate(template: string, values: Placeholders, escapeValue: (v: string) => string): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new ConfigError(`unknown placeholder {${name}} in "${template}"`);
    return escapeValue(value);
  });
}

/** Checks at start that a configured filter parses once filled, naming the option on failure. */
export function checkFilter(option: string, template: string, sample: Placeholders): void {
  try {
    filterParser().parseString(fillTemplate(template, sample, escapeFilterValue));
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${option}: ${err.message}`);
    throw new ConfigError(`${option} is not a valid LDAP filter: ${(err as Error).message}`);
  }
}
