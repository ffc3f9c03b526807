/**
 * Receives one live stream: PS over RTP (GB/T 28181-2016 Annex C, payload type 96) on a port of
 * its own, over UDP, or over TCP where the device connects to us (RFC 4571 framing, Annex L).
 * Hands on the RTP payloads (the PS bytes) in arrival order; packets of another payload type or,
 * once the first is seen, another SSRC are dropped.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { parseRtp, Rfc4571Framer } from './rtp.js';

export class MediaReceiver {
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly conns = new Set<Socket>();
  private ssrc: number | undefined;
  private port = 0;
  packets = 0;
  bytes = 0;
  private firstResolve: (() => void) | undefined;
  /** Resolves with the first accepted packet. */
  readonly first: Promise<void>;

  constructor(
    private readonly transport: 'udp' | 'tcp',
    private readonly host: string,
    private readonly onPayload: (payload: Buffer) => void,
  ) {
    this.first = new Promise<void>((resolve) => {
      this.firstResolve = resolve;
    });
  }

  async start(): Promise<number> {
    if (this.transport === 'udp') {
      const udp = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(0, this.host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      // A 720p key frame arrives as a burst of packets: room for it.
      try {
        udp.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // the system's limit applies
      }
      udp.on('message', (buf) => this.onPacket(buf));
      udp.on('error', () => undefined);
      this.udp = udp;
      this.port = udp.address().port;
    } else {
      const tcp = createServer((socket) => {
        this.conns.add(socket);
        const framer = new Rfc4571Framer();
        socket.on('data', (chunk) => {
          for (const p of framer.push(chunk)) this.onPacket(p);
        });
        socket.on('error', () => socket.destroy());
        socket.on('close', () => this.conns.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(0, this.host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      this.tcp = tcp;
      const addr = tcp.address();
      this.port = addr && typeof addr === 'object' ? addr.port : 0;
    }
    return this.port;
  }

  async stop(): Promise<void> {
    const udp = this.udp;
    this.udp = undefined;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    const tcp = this.tcp;
    this.tcp = undefined;
    for (const c of this.conns) c.destroy();
    this.conns.clear();
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  private onPacket(buf: Buffer): void {
    const p = parseRtp(buf);
    if (!p || p.payloadType !== 96) return;
    if (this.ssrc === undefined) this.ssrc = p.ssrc;
    else if (p.ssrc !== this.ssrc) return;
    this.packets++;
    this.bytes += p.payload.length;
    if (this.packets === 1) this.firstResolve?.();
    this.onPayload(p.payload);
  }
}
