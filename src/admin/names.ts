import { MAX_PASSWORD_BYTES } from '../auth/password-hasher.js';
import { InvalidRequestError } from '../domain/errors.js';

// The registry's path-component grammar: a project name must be one.
const PROJECT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;

export function checkProjectName(name: string): string {
  if (name.length > 255 || !PROJECT.test(name)) {
    throw new InvalidRequestError(`invalid project name "${name}": lowercase letters, digits and single . _ - separators`);
  }
  return name;
}

export function checkUsername(name: string): string {
  if (name.length > 255 || !USERNAME.test(name)) {
    throw new InvalidRequestError(`invalid username "${name}": letters, digits and . _ @ -, starting with a letter or digit`);
  }
  return name;
}

export function checkPassword(password: string): void {
  // A lone surrogate becomes U+FFFD in UTF-8, so two different strings would share one hash.
  if (!password.isWellFormed()) throw new InvalidRequestError('password must be valid Unicode (it holds a lone surrogate)');
  if (password.length < 8) throw new InvalidRequestError('password must be at least 8 characters');
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw new InvalidRequestError(`password must be at most ${MAX_PASSWORD_BYTES} bytes in UTF-8 (bcrypt ignores the rest)`);
  }
}
