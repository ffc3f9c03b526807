/**
 * A real PS over RTP stream for a simulated channel: ffmpeg encodes a test picture to H.264 in
 * an MPEG-2 Program Stream (`-f vob`; `-f rtp_mpegts` would be TS, which GB/T 28181 does not
 * carry), and the PS bytes are packetised into RTP here (GB/T 28181-2016 Annex C: payload type
 * 96, 90 kHz clock, at most ~1400 bytes a packet), sent over UDP or, for TCP, on a connection
 * to the platform with RFC 4571 length prefixes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { buildRtp, frame4571 } from '../../adapters/camera-gb28181/rtp.js';

const MAX_PAYLOAD = 1400;

export interface PsStreamOptions {
  ffmpegPath: string;
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  ssrc: number;
  width?: number;
  height?: number;
}

export class PsRtpStream {
  private ffmpeg: ChildProcessWithoutNullStreams | undefined;
  private udp: UdpSocket | undefined;
  private tcp: Socket | undefined;
  private seq = Math.floor(Math.random() * 65_536);
  private readonly started = Date.now();
  packets = 0;

  constructor(private readonly opts: PsStreamOptions) {}

  async start(): Promise<void> {
    if (this.opts.transport === 'udp') this.udp = createSocket('udp4');
    else {
      const socket = connect({ host: this.opts.host, port: this.opts.port, noDelay: true });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      socket.on('error', () => undefined);
      this.tcp = socket;
    }
    const size = `${this.opts.width ?? 320}x${this.opts.height ?? 240}`;
    const ff = spawn(
      this.opts.ffmpegPath,
      ['-loglevel', 'error', '-nostats', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-bf', '0', '-f', 'vob', '-'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ) as unknown as ChildProcessWithoutNullStreams;
    ff.stderr.on('data', () => undefined);
    ff.on('error', () => undefined);
    ff.stdout.on('data', (chunk: Buffer) => this.packetise(chunk));
    this.ffmpeg = ff;
  }

  stop(): void {
    if (this.ffmpeg && this.ffmpeg.exitCode === null) this.ffmpeg.kill('SIGKILL');
    this.ffmpeg = undefined;
    this.udp?.close();
    this.udp = undefined;
    this.tcp?.destroy();
    this.tcp = undefined;
  }

  private packetise(chunk: Buffer): void {
    const timestamp = Math.floor(((Date.now() - this.started) * 90) % 2 ** 32);
    for (let off = 0; off < chunk.length; off += MAX_PAYLOAD) {
      const payload = chunk.subarray(off, Math.min(off + MAX_PAYLOAD, chunk.length));
      const packet = buildRtp({ payloadType: 96, marker: off + MAX_PAYLOAD >= chunk.length, sequence: this.seq++, timestamp, ssrc: this.opts.ssrc }, payload);
      this.packets++;
      if (this.udp) this.udp.send(packet, this.opts.port, this.opts.host);
      else if (this.tcp && !this.tcp.destroyed) this.tcp.write(frame4571(packet));
    }
  }
}
