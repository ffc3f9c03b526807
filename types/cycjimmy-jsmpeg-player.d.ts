/**
 * Types for @cycjimmy/jsmpeg-player 6.x (it ships none): the JSMpeg player (MPEG-TS demuxer,
 * MPEG-1 video decoder, WebGL or canvas renderer). Only what the dashboard's camera live view
 * uses (dashboard/src/views/camera-live.ts).
 */
declare module '@cycjimmy/jsmpeg-player' {
  /** Where a source writes the bytes it receives (the MPEG-TS demuxer). */
  interface JSMpegDestination {
    write(data: ArrayBuffer): void;
  }

  /** A data source, as JSMpeg constructs it: `new options.source(url, options)`. */
  interface JSMpegSource {
    established: boolean;
    completed: boolean;
    progress: number;
    /** True: the player decodes whatever arrives at once (live), no wall-clock sync. */
    streaming: boolean;
    connect(destination: JSMpegDestination): void;
    start(): void;
    resume(headroom: number): void;
    destroy(): void;
  }

  interface JSMpegPlayerOptions {
    canvas?: HTMLCanvasElement;
    source?: new (url: string, options: JSMpegPlayerOptions) => JSMpegSource;
    audio?: boolean;
    video?: boolean;
    autoplay?: boolean;
    /** Use the canvas 2D renderer even where WebGL works. */
    disableGl?: boolean;
    /** Use the JavaScript decoders: WebAssembly compilation needs CSP 'wasm-unsafe-eval'. */
    disableWebAssembly?: boolean;
    preserveDrawingBuffer?: boolean;
    /** Pauses on document visibility change (adds a listener that destroy() never removes). */
    pauseWhenHidden?: boolean;
    videoBufferSize?: number;
    decodeFirstFrame?: boolean;
    onVideoDecode?: (decoder: unknown, time: number) => void;
    onPlay?: (player: JSMpegPlayer) => void;
    onStalled?: (player: JSMpegPlayer) => void;
  }

  class JSMpegPlayer {
    constructor(url: string, options?: JSMpegPlayerOptions);
    readonly paused: boolean;
    play(): void;
    pause(): void;
    destroy(): void;
  }

  const JSMpeg: {
    Player: typeof JSMpegPlayer;
  };

  // Types only: at run time the module has one export, the default JSMpeg namespace object.
  export type { JSMpegDestination, JSMpegPlayer, JSMpegPlayerOptions, JSMpegSource };
  export default JSMpeg;
}
