/**
 * What part of the district an operator may see. A school user sees its own school only; other
 * roles see the districts they are given (all of this gateway's by default). Anything outside
 * the scope is answered as if it did not exist (404), so ids of other schools' alarms leak nothing.
 */
import type { Registry } from '../core/devices/registry.js';
import type { OperatorConfig } from './auth-config.js';

export class Scope {
  /** `sites` undefined = every site of this gateway. */
  private constructor(private readonly sites: ReadonlySet<string> | undefined) {}

  static everything(): Scope {
    return new Scope(undefined);
  }

  static of(op: Pick<OperatorConfig, 'role' | 'school' | 'districts'>, registry: Registry): Scope {
    if (op.role === 'school') return new Scope(new Set(op.school ? [op.school] : []));
    if (!op.districts) return Scope.everything();
    const districts = new Set(op.districts);
    return new Scope(new Set(registry.sites().filter((s) => districts.has(s.district)).map((s) => s.id)));
  }

  get unlimited(): boolean {
    return this.sites === undefined;
  }

  hasSite(siteId: string | undefined): boolean {
    return this.sites === undefined || (siteId !== undefined && this.sites.has(siteId));
  }

  /** The site ids in scope, or undefined for all. */
  siteIds(): ReadonlySet<string> | undefined {
    return this.sites;
  }
}
