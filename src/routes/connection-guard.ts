import { STATUS_CODES, type Server, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/schema.js';
import { errorBody } from './errors.js';

type Limits = Config['limits'];

/** How long a socket answered with an error may stay open for its peer to read the answer. */
const LINGER_MS = 1_000;

// Node checks headersTimeout and requestTimeout on this interval (default 30 s), so it is part
// of how long a peer that never finishes its request holds a descriptor.
const CHECK_INTERVAL_MS = 1_000;

const ANSWERS: Record<string, { status: number; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: 'the request was not received in time' },
  // Node counts the request line in maxHeaderSize, so an over-long URL lands here too. A 400
  // rather than 431: the realm has always answered oversized headers so (test/integration/token.test.ts).
  HPE_HEADER_OVERFLOW: { status: 400, message: 'the request line and headers are too large' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, message: 'the chunk extensions are too large' },
};
const MALFORMED = { status: 400, message: 'malformed HTTP request' };

/**
 * Fastify server options that bound every connection's life whatever the peer does: a request
 * must arrive within headersTimeoutMs/requestTimeoutMs, an idle keep-alive connection closes
 * after keepAliveTimeoutMs, and a socket with no traffic either way (a peer that stopped
 * reading our answer) after idleTimeoutMs.
 */
export function connectionOptions(limits: Limits) {
  return {
    // Node refuses to start with headersTimeout > requestTimeout.
    http: { headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs), connectionsCheckingInterval: CHECK_INTERVAL_MS },
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
  } satisfies { http: ServerOptions; requestTimeout: number; keepAliveTimeout: number; connectionTimeout: number };
}

/**
 * Fastify's clientErrorHandler (Node's parse errors and request timeouts): answers in the
 * registry's JSON shape, then destroys the socket. `end()` alone only half-closes it: a peer
 * that never reads or never closes would keep the descriptor for good.
 */
export function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // Writing into a response already under way would corrupt it (Node's own handler checks this too).
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable || inFlight) {
    socket.destroy();
    return;
  }
  const { status, message } = (err.code && ANSWERS[err.code]) || MALFORMED;
  const body = JSON.stringify(errorBody('INVALID_REQUEST', message));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Caps open connections per source address (and in all, when maxConnections is set): one past
 * the cap is destroyed at once, so one peer cannot take every descriptor the process has.
 */
/** `exempt`: the trusted proxies, whose connections carry many clients each. */
export function capConnections(server: Server, limits: Limits, exempt: (address: string) => boolean = () => false): void {
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  const max = limits.maxConnectionsPerAddress;
  if (max === 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined) return void socket.destroy();
    if (exempt(address)) return;
    const count = open.get(address) ?? 0;
    if (count >= max) return void socket.destroy();
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
