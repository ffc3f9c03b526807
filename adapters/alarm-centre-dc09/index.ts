import type { AdapterFactory } from '../../gateway/contract/adapter.js';
import { ALARM_CENTRE_DC09_TYPE, Dc09LinkAdapter } from './link-adapter.js';
import { DC09_ERRORS } from '../shared/dc09/dc09-errors.js';
import { LinkConfigSchema, type LinkConfig } from './link-config.js';

export { Dc09LinkAdapter, zoneOf } from './link-adapter.js';
export { LinkConfigSchema, type LinkConfig } from './link-config.js';

export const alarmCentreDc09Adapter: AdapterFactory<LinkConfig> = {
  type: ALARM_CENTRE_DC09_TYPE,
  description: '110 link: alarm and test reports to the alarm-receiving centre over SIA DC-09 (TCP), primary/secondary receivers, NULL supervision',
  kinds: ['alarm-centre'],
  availability: 'active',
  cluster: 'singleton',
  configSchema: LinkConfigSchema,
  errors: DC09_ERRORS,
  create: (config, ctx) => new Dc09LinkAdapter(config, ctx),
};
