/**
 * One Modbus TCP connection to one controller endpoint (host:port), shared by every unit id
 * behind it. Requests from different units may be in flight together: Modbus TCP matches a
 * response to its request by the MBAP transaction identifier (Modbus Messaging on TCP/IP
 * Implementation Guide V1.0b §3.1.3, §4.2), which modbus-serial's client tracks. Each request
 * has its own timeout; a closed socket fails its pending requests at once; connecting again
 * backs off exponentially.
 */
import modbusSerial from 'modbus-serial';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../../gateway/contract/clock.js';
import { errorMessage, isGatewayError } from '../../gateway/contract/errors.js';
import { BARRIER_ERRORS } from './errors.js';
import { Gate } from './gate.js';

export interface LinkOptions {
  host: string;
  port: number;
  timeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  maxInFlight: number;
  clock: Clock;
  log: Logger;
  /** Shared by all links: bounds connection attempts in flight. */
  connectGate: Gate;
  random?: () => number;
}

/**
 * Delay before connection attempt `attempt + 1` after `attempt` consecutive failures:
 * min·2^(attempt−1), capped at max, minus up to 20% jitter so that controllers which
 * dropped together do not reconnect in lockstep.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.max(1, Math.round(base * (1 - 0.2 * random)));
}

// modbus-serial is CommonJS whose typings declare `export default`; from ESM that default is
// the module object, and the client class sits on its `default` (which the package sets).
const ModbusRTU = modbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;
type Callback<T> = (err: (Error & { modbusCode?: number }) | null, value: T) => void;

interface Pending {
  fail(err: Error): void;
}

/** Timeouts in a row (no answer in between) after which a socket is presumed half-open. */
const TIMEOUTS_BEFORE_RECONNECT = 3;

export class ModbusLink {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private failedConnects = 0;
  private retryAt = 0;
  private timeoutsInRow = 0;
  private closed = false;
  private readonly pending = new Set<Pending>();
  private readonly inFlight: Gate;

  constructor(private readonly opts: LinkOptions) {
    this.inFlight = new Gate(opts.maxInFlight);
  }

  get endpoint(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  get connected(): boolean {
    return this.client?.isOpen === true;
  }

  readHolding(unit: number, address: number, length: number, force = false): Promise<number[]> {
    return this.request(force, (c, cb: Callback<{ data: number[] }>) => c.writeFC3(unit, address, length, cb)).then((r) => r.data);
  }

  readInput(unit: number, address: number, length: number, force = false): Promise<number[]> {
    return this.request(force, (c, cb: Callback<{ data: number[] }>) => c.writeFC4(unit, address, length, cb)).then((r) => r.data);
  }

  readCoils(unit: number, address: number, length: number, force = false): Promise<boolean[]> {
    return this.request(force, (c, cb: Callback<{ data: boolean[] }>) => c.writeFC1(unit, address, length, cb)).then((r) => r.data);
  }

  readDiscreteInputs(unit: number, address: number, length: number, force = false): Promise<boolean[]> {
    return this.request(force, (c, cb: Callback<{ data: boolean[] }>) => c.writeFC2(unit, address, length, cb)).then((r) => r.data);
  }

  /** FC 05: ON is 0xFF00 on the wire (Modbus Application Protocol V1.1b3 §6.5). */
  async writeCoil(unit: number, address: number, on: boolean): Promise<void> {
    await this.request(true, (c, cb: Callback<unknown>) => c.writeFC5(unit, address, on, cb));
  }

  /** FC 06 (Modbus Application Protocol V1.1b3 §6.6). */
  async writeRegister(unit: number, address: number, value: number): Promise<void> {
    await this.request(true, (c, cb: Callback<unknown>) => c.writeFC6(unit, address, value, cb));
  }

  /** Closes the socket and fails everything pending; the link cannot be used again. */
  close(): void {
    this.closed = true;
    this.drop(BARRIER_ERRORS.error('GW_ERR_BARRIER_STOPPED'));
  }

  /**
   * `force` skips a pending reconnect backoff: health checks and commands want an answer now,
   * periodic polls during backoff fail at once without touching the network.
   */
  private async request<T>(force: boolean, send: (c: Client, cb: Callback<T>) => void): Promise<T> {
    await this.inFlight.acquire();
    try {
      const client = await this.ready(force);
      return await this.exchange(client, send);
    } finally {
      this.inFlight.release();
    }
  }

  private exchange<T>(client: Client, send: (c: Client, cb: Callback<T>) => void): Promise<T> {
    const { clock, timeoutMs } = this.opts;
    return new Promise<T>((resolve, reject) => {
      let timer: Timer | undefined;
      const entry: Pending = {
        fail: (err) => {
          if (timer !== undefined) clock.clearTimeout(timer);
          this.pending.delete(entry);
          reject(err);
        },
      };
      this.pending.add(entry);
      timer = clock.setTimeout(() => {
        timer = undefined;
        entry.fail(BARRIER_ERRORS.error('GW_ERR_BARRIER_TIMEOUT', `${this.endpoint}: no answer within ${timeoutMs} ms`));
        if (++this.timeoutsInRow >= TIMEOUTS_BEFORE_RECONNECT && this.client === client) {
          this.opts.log.warn({ endpoint: this.endpoint, timeouts: this.timeoutsInRow }, 'no answers on an open socket: reconnecting');
          this.drop(BARRIER_ERRORS.error('GW_ERR_BARRIER_UNREACHABLE', `${this.endpoint}: connection presumed dead`));
        }
      }, timeoutMs);
      // A late answer (after the timeout) finds the entry gone and is ignored.
      const done: Callback<T> = (err, value) => {
        if (!this.pending.has(entry)) return;
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = undefined;
        this.pending.delete(entry);
        if (err) {
          if (typeof err.modbusCode === 'number') {
            this.timeoutsInRow = 0;
            // Modbus Application Protocol V1.1b3 §7: exception codes.
            reject(BARRIER_ERRORS.error('GW_ERR_BARRIER_MODBUS_EXCEPTION', `${this.endpoint}: exception 0x${err.modbusCode.toString(16).padStart(2, '0')}`, { cause: err }));
          } else {
            reject(BARRIER_ERRORS.error('GW_ERR_BARRIER_UNREACHABLE', `${this.endpoint}: ${err.message}`, { cause: err }));
          }
          return;
        }
        this.timeoutsInRow = 0;
        resolve(value);
      };
      try {
        send(client, done);
      } catch (err) {
        entry.fail(BARRIER_ERRORS.error('GW_ERR_BARRIER_UNREACHABLE', `${this.endpoint}: ${errorMessage(err)}`, { cause: err }));
      }
    });
  }

  private ready(force: boolean): Promise<Client> {
    if (this.closed) return Promise.reject(BARRIER_ERRORS.error('GW_ERR_BARRIER_STOPPED'));
    if (this.client?.isOpen) return Promise.resolve(this.client);
    // modbus-serial emits no 'close' after a socket error (ECONNRESET): drop the dead client
    // here so its pending requests fail now rather than at their timeouts.
    if (this.client) this.drop(BARRIER_ERRORS.error('GW_ERR_BARRIER_UNREACHABLE', `${this.endpoint}: connection lost`));
    if (this.connecting) return this.connecting;
    const wait = this.retryAt - this.opts.clock.now();
    if (!force && wait > 0) {
      return Promise.reject(BARRIER_ERRORS.error('GW_ERR_BARRIER_UNREACHABLE', `${this.endpoint}: reconnect backoff, next attempt in ${wait} ms`));
    }
    this.connecting = this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<Client> {
    const { host, port, clock, timeoutMs, connectGate, log } = this.opts;
    await connectGate.acquire();
    const client = new ModbusRTU();
    // modbus-serial relays socket errors as 'error' events; without a listener they would throw.
    client.on('error', (err: unknown) => log.debug({ endpoint: this.endpoint, err }, 'modbus socket error'));
    let timer: Timer | undefined;
    try {
      await Promise.race([
        client.connectTCP(host, { port }),
        new Promise<never>((_, reject) => {
          timer = clock.setTimeout(() => reject(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      if (this.closed) throw BARRIER_ERRORS.error('GW_ERR_BARRIER_STOPPED');
      this.failedConnects = 0;
      this.timeoutsInRow = 0;
      this.client = client;
      client.on('close', () => {
        if (this.client !== client) return;
        log.info({ endpoint: this.endpoint }, 'modbus connection closed');
        this.drop(BARRIER_ERRORS.error('GW_ERR_BARRIER_UNREACHABLE', `${this.endpoint}: connection closed`));
      });
      log.info({ endpoint: this.endpoint }, 'modbus connected');
      return client;
    } catch (err) {
      client.destroy(() => undefined);
      if (isGatewayError(err)) throw err;
      this.failedConnects++;
      const delay = backoffDelay(this.failedConnects, this.opts.reconnectMinMs, this.opts.reconnectMaxMs, (this.opts.random ?? Math.random)());
      this.retryAt = clock.now() + delay;
      log.debug({ endpoint: this.endpoint, attempt: this.failedConnects, retryInMs: delay, err }, 'modbus connect failed');
      throw BARRIER_ERRORS.error('GW_ERR_BARRIER_UNREACHABLE', `${this.endpoint}: ${errorMessage(err)}`, { cause: err });
    } finally {
      if (timer !== undefined) clock.clearTimeout(timer);
      connectGate.release();
    }
  }

  private drop(reason: Error): void {
    const client = this.client;
    this.client = undefined;
    if (client) client.destroy(() => undefined);
    for (const p of [...this.pending]) p.fail(reason);
  }
}
