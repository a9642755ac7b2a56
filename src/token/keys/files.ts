/** The file names of the signing key and its certificate chain inside `token.keysDir`. */
export const KEY_FILE = 'token.key';
export const CERT_FILE = 'token.crt';
