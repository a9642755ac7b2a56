import type { FastifyServerOptions } from 'fastify';

const SECRET_PARAMS = /([?&](?:password|refresh_token|access_token|token|client_secret)=)[^&]*/gi;

/** Query strings are logged, but never a secret someone put in one. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1***');
}

/** pino options: JSON lines, no Authorization header, password or token anywhere. */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.password',
        '*.oldPassword',
        '*.newPassword',
        '*.refresh_token',
        '*.token',
        '*.access_token',
        'password',
        'token',
        'refresh_token',
        'access_token',
      ],
      censor: '***',
    },
    serializers: {
      req: (req: { method: string; url: string; ip?: string; socket?: { remoteAddress?: string } }) => ({
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.ip ?? req.socket?.remoteAddress,
      }),
    },
  };
}
