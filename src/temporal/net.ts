/** Small TCP helpers: free ports for test servers, and a fast "is anything listening" probe. */
import net from 'node:net';

/** A port that was free a moment ago on `host` (the OS picks it; another process could still take it). */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error(`Could not allocate a port on ${host}`));
      });
    });
  });
}

/** Splits `host:port`, `[v6]:port` or a bare host (Temporal's default port 7233). */
export function splitHostPort(address: string, defaultPort = 7233): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (bracketed) return { host: bracketed[1] ?? '', port: bracketed[2] ? Number(bracketed[2]) : defaultPort };
  const colon = address.lastIndexOf(':');
  // More than one colon and no brackets: a bare IPv6 address.
  if (colon === -1 || address.indexOf(':') !== colon) return { host: address, port: defaultPort };
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

/** Resolves the connect error (e.g. ECONNREFUSED), or undefined when something accepted the connection. */
export function tcpConnectError(host: string, port: number, timeoutMs: number): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (err: Error | undefined): void => {
      socket.destroy();
      resolve(err);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no answer within ${timeoutMs} ms`)));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err) => done(err));
  });
}

export async function isTcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return (await tcpConnectError(host, port, timeoutMs)) === undefined;
}
