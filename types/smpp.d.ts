/**
 * Minimal typings for `smpp` 0.5.x (farhadi/node-smpp, CommonJS, no bundled types), covering
 * only what the sms-smpp adapter and the sms-centre simulator use. Field names follow the
 * SMPP specification (snake_case) because the library maps them one to one.
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  namespace smpp {
    /** A decoded short_message: the library splits off the UDH (as a list of IEs) and decodes text. */
    interface DecodedMessage {
      udh?: Buffer[];
      message: string | Buffer;
    }

    class PDU {
      /** A new PDU by command name, or one decoded from a complete PDU buffer. */
      constructor(command: string | Buffer, options?: Record<string, unknown>);
      toBuffer(): Buffer;
      command: string;
      command_id: number;
      command_status: number;
      sequence_number: number;
      isResponse(): boolean;
      response(options?: Record<string, unknown>): PDU;
      /** Every other mandatory parameter or TLV, by its SMPP name. */
      [field: string]: unknown;
    }

    class Session extends EventEmitter {
      socket: Socket;
      /** Returns false (and never calls back) when the socket is not writable. */
      send(pdu: PDU, responseCallback?: (resp: PDU) => void, sendCallback?: (pdu: PDU) => void): boolean;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
      pause(): void;
      resume(): void;
    }

    class Server extends NetServer {
      sessions: Session[];
    }

    interface ConnectOptions {
      host: string;
      port: number;
      [option: string]: unknown;
    }

    function connect(options: ConnectOptions, listener?: () => void): Session;
    function createServer(options: Record<string, unknown>, sessionListener?: (session: Session) => void): Server;

    /** command_status names to values (SMPP 3.4 §5.1.3 plus v5.0 additions). */
    const errors: Record<string, number>;
  }

  export = smpp;
}
