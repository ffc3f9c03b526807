/**
 * A TCP port that black-holes new connections on loopback without root: no SYN-ACK, no RST.
 *
 * A child Node process listens on the port with a backlog of 1 and then blocks its own event
 * loop (Atomics.wait), so nothing ever calls accept(). This process fills the accept queue with
 * two connections of its own (the queue holds backlog + 1). From then on Linux drops every SYN
 * to the port (the listener's accept queue is full; net.ipv4.tcp_abort_on_overflow = 0, the
 * default, means drop rather than RST): a client's connect() hangs in SYN retransmits until its
 * own timeout, exactly as towards a host that vanished behind a firewall.
 *
 * Connections established before the black hole are not this module's: the owner keeps them
 * open and silent (see AlarmCentreSimulator's 'blackhole' mode). What loopback cannot hide is
 * TCP's own ACK of bytes on an established connection: the kernel sends it whatever the
 * application does; no application-level reply, FIN or RST is sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';

export interface BlackholeListener {
  /** Kills the child (its port is free again once this resolves) and closes the fillers. */
  stop(): Promise<void>;
}

const CHILD = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const s = net.createServer();
s.on('error', (err) => { process.stdout.write('error ' + err.code + '\\n'); process.exit(1); });
s.listen({ host, port: Number(port), backlog: 1 }, () => {
  process.stdout.write('listening\\n', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
});
`;

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Black-holes `host:port` until stop(); rejects when the port cannot be taken within `timeoutMs`. */
export async function startBlackholeListener(host: string, port: number, timeoutMs = 10_000): Promise<BlackholeListener> {
  const child = spawn(process.execPath, ['-e', CHILD, host, String(port)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const fillers: Socket[] = [];
  const stop = async (): Promise<void> => {
    for (const f of fillers) f.destroy();
    child.kill('SIGKILL');
    await exited(child);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`black hole on ${host}:${port}: the listener did not start within ${timeoutMs} ms`)), timeoutMs);
      let out = '';
      child.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('listening')) {
          clearTimeout(timer);
          resolve();
        } else if (out.includes('error')) {
          clearTimeout(timer);
          reject(new Error(`black hole on ${host}:${port}: ${out.trim()}`));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`black hole on ${host}:${port}: the listener exited (${String(code)})`));
      });
    });
    // The kernel completes these handshakes into the (never drained) accept queue: two fill it.
    for (let i = 0; i < 2; i++) {
      const s = connect({ host, port });
      s.on('error', () => undefined);
      fillers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve());
        s.once('error', reject);
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}
