import { InvalidRequestError } from '../errors.js';

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
  if (password.length < 8) throw new InvalidRequestError('password must be at least 8 characters');
  if (password.length > 72) throw new InvalidRequestError('password must be at most 72 bytes (bcrypt ignores the rest)');
}
