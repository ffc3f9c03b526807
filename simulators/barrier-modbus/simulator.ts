/**
 * A simulated anti-collision barrier controller speaking Modbus TCP (modbus-serial's
 * ServerTCP). One instance is one controller endpoint (host:port) serving one or more unit
 * ids, each a barrier with the "sim-rb1" register map (register-map.ts, documented in
 * adapters/barrier-modbus/README.md).
 */
import { ServerTCP, type IServiceVector } from 'modbus-serial';
import pino, { type Logger } from 'pino';
import { systemClock, type Clock, type Timer } from '../../gateway/contract/clock.js';
import { outagePort } from '../outage-port.js';
import {
  COIL,
  COIL_COUNT,
  COMMAND_VALUE,
  DI,
  DI_COUNT,
  EXCEPTION,
  FAULT_BITS,
  HR,
  HR_COUNT,
  IR,
  IR_COUNT,
  NOMINAL,
  SIM_FAULTS,
  STATE_VALUE,
  type SimFault,
  type SimPosition,
} from './register-map.js';

export interface BarrierSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port; read it from start()'s result or `port`. */
  port?: number;
  /** Unit ids served (default [1]). */
  units?: number[];
  /** Travel time between raised and lowered (default 3000 ms). */
  travelMs?: number;
  /** Where every barrier starts (default raised). */
  initial?: 'raised' | 'lowered';
  clock?: Clock;
  log?: Logger;
}

export interface BarrierUnitState {
  unitId: number;
  position: SimPosition;
  stateValue: number;
  faults: SimFault[];
  faultBits: number;
  impactCount: number;
  /** bar */
  pressure: number;
  /** A */
  current: number;
  manualOverride: boolean;
  stuck: boolean;
  silent: boolean;
  lastCommand: 'raise' | 'lower' | null;
  commandsReceived: number;
}

interface Unit {
  id: number;
  position: SimPosition;
  faultBits: number;
  impacts: number;
  manualOverride: boolean;
  stuck: boolean;
  silent: boolean;
  lastCommand: 'raise' | 'lower' | null;
  commands: number;
  travel?: Timer;
}

class ModbusException extends Error {
  constructor(readonly modbusErrorCode: number) {
    super(`modbus exception 0x${modbusErrorCode.toString(16)}`);
  }
}

/** A request never answered, as from a dead unit behind a gateway. */
const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export class BarrierControllerSimulator {
  private server: ServerTCP | undefined;
  private boundPort = 0;
  private readonly units = new Map<number, Unit>();
  private dropped = false;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly host: string;
  private readonly travelMs: number;

  constructor(private readonly opts: BarrierSimulatorOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? pino({ level: 'silent' });
    this.host = opts.host ?? '127.0.0.1';
    this.travelMs = opts.travelMs ?? 3000;
  }

  get port(): number {
    return this.boundPort;
  }

  unitIds(): number[] {
    return [...this.units.keys()];
  }

  async start(): Promise<{ host: string; port: number }> {
    for (const id of this.opts.units ?? [1]) {
      this.units.set(id, {
        id,
        position: this.opts.initial ?? 'raised',
        faultBits: 0,
        impacts: 0,
        manualOverride: false,
        stuck: false,
        silent: false,
        lastCommand: null,
        commands: 0,
      });
    }
    await this.listen();
    return { host: this.host, port: this.boundPort };
  }

  async stop(): Promise<void> {
    for (const u of this.units.values()) this.cancelTravel(u);
    await this.closeServer();
  }

  // ---- scenario controls ------------------------------------------------------------------

  /** Raise as a local operator would (same path as a Modbus command). */
  raise(unitId?: number): void {
    this.command(this.unit(unitId), 'raise');
  }

  lower(unitId?: number): void {
    this.command(this.unit(unitId), 'lower');
  }

  /** A vehicle hits the barrier: the impact counter goes up by `count`. */
  impact(unitId?: number, count = 1): void {
    const u = this.unit(unitId);
    u.impacts = (u.impacts + count) & 0xffff;
  }

  /** Sets fault bits (added to those set). A hydraulic fault drops the pressure; motion stops. */
  setFault(fault: SimFault | SimFault[], unitId?: number): void {
    const u = this.unit(unitId);
    for (const f of Array.isArray(fault) ? fault : [fault]) u.faultBits |= 1 << FAULT_BITS[f];
    if (u.travel) {
      this.cancelTravel(u);
      u.position = 'fault';
    }
  }

  /** Commands are still accepted (the write is answered) but nothing moves. */
  stuck(unitId?: number): void {
    this.unit(unitId).stuck = true;
  }

  setManualOverride(on: boolean, unitId?: number): void {
    this.unit(unitId).manualOverride = on;
  }

  /**
   * 'drop' (default): the controller stops listening and drops its connections (unit ignored).
   * 'silent': connections stay up but `unitId` (or every unit) never answers.
   */
  async unreachable(mode: 'drop' | 'silent' = 'drop', unitId?: number): Promise<void> {
    if (mode === 'silent') {
      for (const u of unitId === undefined ? this.units.values() : [this.unit(unitId)]) u.silent = true;
      return;
    }
    this.dropped = true;
    await this.closeServer();
  }

  /** Clears faults, stuck and silence; listens again (same port) after a drop. A barrier stopped by a fault has sunk: lowered. */
  async restore(unitId?: number): Promise<void> {
    for (const u of unitId === undefined ? this.units.values() : [this.unit(unitId)]) {
      u.faultBits = 0;
      u.stuck = false;
      u.silent = false;
      if (u.position === 'fault') u.position = 'lowered';
    }
    if (this.dropped) {
      this.dropped = false;
      await this.listen();
    }
  }

  state(unitId?: number): BarrierUnitState {
    const u = this.unit(unitId);
    return {
      unitId: u.id,
      position: u.position,
      stateValue: STATE_VALUE[u.position],
      faults: SIM_FAULTS.filter((f) => (u.faultBits & (1 << FAULT_BITS[f])) !== 0),
      faultBits: u.faultBits,
      impactCount: u.impacts,
      pressure: this.pressure(u) / 10,
      current: this.current(u) / 100,
      manualOverride: u.manualOverride,
      stuck: u.stuck,
      silent: u.silent,
      lastCommand: u.lastCommand,
      commandsReceived: u.commands,
    };
  }

  // ---- behaviour ----------------------------------------------------------------------------

  private unit(unitId?: number): Unit {
    const id = unitId ?? this.units.keys().next().value;
    const u = id === undefined ? undefined : this.units.get(id);
    if (!u) throw new Error(`simulator has no unit ${String(unitId)} (units: ${this.unitIds().join(', ')})`);
    return u;
  }

  private command(u: Unit, cmd: 'raise' | 'lower'): void {
    u.commands++;
    u.lastCommand = cmd;
    // A controller under local control, in fault, or jammed takes the command and does nothing.
    if (u.manualOverride || u.faultBits !== 0 || u.stuck) {
      this.log.info({ unit: u.id, cmd, manualOverride: u.manualOverride, faultBits: u.faultBits, stuck: u.stuck }, 'command ignored');
      return;
    }
    const [moving, end]: [SimPosition, SimPosition] = cmd === 'raise' ? ['raising', 'raised'] : ['lowering', 'lowered'];
    if (u.position === end || u.position === moving) return;
    this.cancelTravel(u);
    u.position = moving;
    u.travel = this.clock.setTimeout(() => {
      u.travel = undefined;
      u.position = end;
    }, this.travelMs);
  }

  private cancelTravel(u: Unit): void {
    if (u.travel !== undefined) this.clock.clearTimeout(u.travel);
    u.travel = undefined;
  }

  private pressure(u: Unit): number {
    if (u.faultBits & (1 << FAULT_BITS['hydraulic-pressure-low'])) return NOMINAL.pressureLost;
    return u.travel ? NOMINAL.pressureMoving : NOMINAL.pressureIdle;
  }

  private current(u: Unit): number {
    return u.travel ? NOMINAL.currentMoving : NOMINAL.currentIdle;
  }

  private holding(u: Unit, addr: number): number {
    switch (addr) {
      case HR.STATE:
        return STATE_VALUE[u.position];
      case HR.FAULTS:
        return u.faultBits;
      case HR.IMPACTS:
        return u.impacts;
      case HR.STATUS:
        return u.manualOverride ? 1 : 0;
      case HR.COMMAND:
        return u.lastCommand ? COMMAND_VALUE[u.lastCommand] : 0;
      default:
        throw new ModbusException(EXCEPTION.ILLEGAL_DATA_ADDRESS);
    }
  }

  /** Resolves the unit a request addresses; a missing unit answers as a gateway would. */
  private target(unitID: number): Unit {
    const u = this.units.get(unitID);
    // Modbus Application Protocol V1.1b3 §7, exception 0x0B: gateway target device failed to respond.
    if (!u) throw new ModbusException(EXCEPTION.GATEWAY_TARGET_FAILED);
    return u;
  }

  private vector(): IServiceVector {
    const answer = <T>(unitID: number, read: (u: Unit) => T): T | Promise<T> => {
      const u = this.target(unitID);
      return u.silent ? never<T>() : read(u);
    };
    const inRange = (addr: number, count: number) => {
      if (addr < 0 || addr >= count) throw new ModbusException(EXCEPTION.ILLEGAL_DATA_ADDRESS);
    };
    return {
      getHoldingRegister: (addr: number, unitID: number) => answer(unitID, (u) => this.holding(u, addr)),
      getInputRegister: (addr: number, unitID: number) =>
        answer(unitID, (u) => {
          inRange(addr, IR_COUNT);
          return addr === IR.PRESSURE ? this.pressure(u) : this.current(u);
        }),
      // Command coils are pulses: they always read back OFF.
      getCoil: (addr: number, unitID: number) =>
        answer(unitID, () => {
          inRange(addr, COIL_COUNT);
          return false;
        }),
      getDiscreteInput: (addr: number, unitID: number) =>
        answer(unitID, (u) => {
          inRange(addr, DI_COUNT);
          if (addr === DI.RAISED_LIMIT) return u.position === 'raised';
          if (addr === DI.LOWERED_LIMIT) return u.position === 'lowered';
          return u.manualOverride;
        }),
      setCoil: (addr: number, value: boolean, unitID: number) =>
        answer(unitID, (u) => {
          inRange(addr, COIL_COUNT);
          if (value) this.command(u, addr === COIL.RAISE ? 'raise' : 'lower');
        }),
      setRegister: (addr: number, value: number, unitID: number) =>
        answer(unitID, (u) => {
          inRange(addr, HR_COUNT);
          if (addr !== HR.COMMAND) throw new ModbusException(EXCEPTION.ILLEGAL_DATA_ADDRESS);
          if (value === COMMAND_VALUE.raise) this.command(u, 'raise');
          else if (value === COMMAND_VALUE.lower) this.command(u, 'lower');
          else if (value !== 0) throw new ModbusException(EXCEPTION.ILLEGAL_DATA_VALUE);
        }),
    };
  }

  // ---- transport -------------------------------------------------------------------------

  private async listen(): Promise<void> {
    const fixed = this.boundPort || this.opts.port || 0;
    for (let attempt = 0; ; attempt++) {
      // ServerTCP reads port 0 as 502 (`options.port || 502`): a free number is picked here,
      // outside the system's ephemeral range, since the controller listens on it again after an
      // outage (outage-port.ts).
      const port = fixed || (await outagePort(this.host));
      try {
        this.server = await this.openServer(port);
        this.boundPort = port;
        this.log.info({ host: this.host, port, units: this.unitIds() }, 'barrier simulator listening');
        return;
      } catch (err) {
        // Another process took the probed port between probe and listen: probe again.
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (fixed || !inUse || attempt >= 4) throw err;
      }
    }
  }

  private openServer(port: number): Promise<ServerTCP> {
    return new Promise((resolve, reject) => {
      // unitID 255: answer every unit id; the vector decides which exist.
      const server = new ServerTCP(this.vector(), { host: this.host, port, unitID: 255 });
      server.on('socketError', (err) => this.log.debug({ err }, 'simulator socket error'));
      server.on('error', (err) => this.log.debug({ err }, 'simulator error'));
      server.once('initialized', () => resolve(server));
      server.once('serverError', (err) => reject(err ?? new Error('listen failed')));
    });
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
