/**
 * A TCP proxy on 127.0.0.1 in front of a test server (PostgreSQL, Redis), for outages a stopped
 * or paused server cannot make for one client only: `refuse(true)` closes the open connections
 * and every new one at once (the server out of reach from this client), and `onClientData` may
 * hold back what a client sends (a server hung at a given command).
 */
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Closes every open connection (a network blip); the client connects again through the proxy. */
  dropAll(): void;
  /** On: every open connection is closed, and new ones at once. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  /**
   * Each chunk a client sends: return false to hold it (and, as decided there, what follows);
   * `connection` is the same object for every chunk of one connection.
   */
  onClientData?: (chunk: Buffer, connection: object) => boolean;
}

export async function startTcpProxy(targetPort: number, opts: TcpProxyOptions = {}): Promise<TcpProxy> {
  let refusing = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    sockets.add(client).add(upstream);
    const gone = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', gone).on('error', gone);
    upstream.on('close', gone).on('error', gone);
    const connection = {};
    client.on('data', (chunk: Buffer) => {
      if (!opts.onClientData || opts.onClientData(chunk, connection)) upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dropAll = () => {
    for (const s of [...sockets]) s.destroy();
  };
  return {
    port: (server.address() as AddressInfo).port,
    dropAll,
    refuse: (on) => {
      refusing = on;
      if (on) dropAll();
    },
    close: async () => {
      dropAll();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
