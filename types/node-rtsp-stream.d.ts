/**
 * Types for node-rtsp-stream 0.0.9 (it ships none). Only what the gateway uses.
 * VideoStream binds its WebSocket server on every interface and logs to the console, so the
 * camera live view uses the package's muxer (ffmpeg → MPEG-TS with MPEG-1 video) directly.
 */
declare module 'node-rtsp-stream/mpeg1muxer.js' {
  import type { ChildProcess } from 'node:child_process';
  import { EventEmitter } from 'node:events';

  interface Mpeg1MuxerOptions {
    url: string;
    /** Program run as `ffmpegPath -i url -f mpegts -codec:v mpeg1video <ffmpegOptions> -`. */
    ffmpegPath: string;
    /** Output options, in insertion order; an empty string value adds the flag alone. */
    ffmpegOptions?: Record<string, string | number>;
  }

  class Mpeg1Muxer extends EventEmitter {
    constructor(options: Mpeg1MuxerOptions);
    readonly stream: ChildProcess;
    on(event: 'mpeg1data', listener: (data: Buffer) => void): this;
    on(event: 'ffmpegStderr', listener: (data: Buffer) => void): this;
    on(event: 'exitWithError', listener: () => void): this;
  }

  export default Mpeg1Muxer;
}

declare module 'node-rtsp-stream' {
  import { EventEmitter } from 'node:events';

  interface VideoStreamOptions {
    name: string;
    streamUrl: string;
    wsPort: number;
    width?: number;
    height?: number;
    ffmpegPath?: string;
    ffmpegOptions?: Record<string, string | number>;
  }

  class VideoStream extends EventEmitter {
    constructor(options: VideoStreamOptions);
    stop(): this;
  }

  export default VideoStream;
}
