import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../../src/config/load.js';
import { capConnections, connectionOptions, onClientError } from '../../../src/routes/connection-guard.js';

/** The parts of a socket onClientError touches, recording what it was sent. */
function fakeSocket(state: { writable?: boolean; destroyed?: boolean; headersSent?: boolean } = {}) {
  const socket = Object.assign(new EventEmitter(), {
    writable: state.writable ?? true,
    destroyed: state.destroyed ?? false,
    _httpMessage: state.headersSent === undefined ? undefined : { headersSent: state.headersSent },
    sent: '',
    end: vi.fn((data: string) => {
      socket.sent = data;
    }),
    destroy: vi.fn(() => {
      socket.destroyed = true;
    }),
  });
  return socket;
}

const errorWith = (code: string) => Object.assign(new Error(code), { code });

describe('onClientError', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ['HPE_INVALID_METHOD', 400],
    ['HPE_HEADER_OVERFLOW', 400],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 413],
  ])('answers %s with %i in the registry shape, then destroys the socket its peer keeps open', (code, status) => {
    vi.useFakeTimers();
    const socket = fakeSocket();
    onClientError(errorWith(code), socket as unknown as Socket);
    const [head = '', body = ''] = socket.sent.split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(head).toContain('Connection: close');
    expect(JSON.parse(body)).toEqual({ errors: [{ code: 'INVALID_REQUEST', message: expect.any(String) }] });
    expect(socket.destroy).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_000);
    expect(socket.destroy).toHaveBeenCalled();
  });

  it('leaves nothing pending once the peer has closed', () => {
    vi.useFakeTimers();
    const socket = fakeSocket();
    onClientError(errorWith('HPE_INVALID_METHOD'), socket as unknown as Socket);
    socket.emit('close');
    expect(vi.getTimerCount()).toBe(0);
  });

  it.each([
    ['a reset connection', errorWith('ECONNRESET'), {}],
    ['a socket that cannot be written', errorWith('HPE_INVALID_METHOD'), { writable: false }],
    ['a response already under way', errorWith('HPE_INVALID_METHOD'), { headersSent: true }],
  ])('destroys %s at once without writing', (_name, err, state) => {
    const socket = fakeSocket(state);
    onClientError(err, socket as unknown as Socket);
    expect(socket.end).not.toHaveBeenCalled();
    expect(socket.destroy).toHaveBeenCalled();
  });
});

describe('connectionOptions', () => {
  it('maps the limits, keeping headersTimeout within requestTimeout as Node requires', () => {
    const { limits } = resolveConfig({ limits: { headersTimeoutMs: 60_000, requestTimeoutMs: 20_000 } });
    expect(connectionOptions(limits)).toEqual({
      http: { headersTimeout: 20_000, connectionsCheckingInterval: 1_000 },
      requestTimeout: 20_000,
      keepAliveTimeout: 5_000,
      connectionTimeout: 30_000,
    });
  });
});

describe('capConnections', () => {
  let server: Server | undefined;
  const clients: Socket[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await new Promise((r) => server?.close(r));
  });

  /** Opens `n` connections from `localAddress`, resolving with how many the server closed. */
  async function closedOf(port: number, localAddress: string, n: number): Promise<number> {
    const sockets = Array.from({ length: n }, () => connect({ host: '127.0.0.1', port, localAddress }));
    clients.push(...sockets);
    const closed = sockets.map((s) => new Promise<boolean>((resolve) => s.once('close', () => resolve(true)).once('error', () => undefined)));
    const settled = await Promise.all(closed.map((p) => Promise.race([p, new Promise<boolean>((r) => setTimeout(() => r(false), 500))])));
    return settled.filter(Boolean).length;
  }

  it('closes connections past the cap from one address and counts others apart', async () => {
    server = createServer();
    capConnections(server, resolveConfig({ limits: { maxConnectionsPerAddress: 3 } }).limits);
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    expect(await closedOf(port, '127.0.0.2', 5)).toBe(2);
    expect(await closedOf(port, '127.0.0.3', 3)).toBe(0);
    // A slot freed by a close is open again.
    clients.find((c) => c.localAddress === '127.0.0.3')?.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(await closedOf(port, '127.0.0.3', 1)).toBe(0);
  });
});
