/**
 * GB/T 28181 ids (GB/T 28181-2016 Annex D, 编码规则 A): 20 decimal digits, the centre code (8:
 * province 2, city 2, district 2, grass-roots unit 2), the industry code (2), the type code (3)
 * and a serial number (7). The type says what the id names: a DVR (111), an NVR (118), a camera
 * (131), an IPC (132), an alarm input (134), a SIP server or platform (200)…
 */
import { GB_ERRORS } from './errors.js';

export interface GbId {
  id: string;
  centre: string;
  industry: string;
  type: number;
  serial: string;
  /** The realm or SIP domain devices of this centre use by convention: its first 10 digits. */
  domain: string;
}

/** Type codes of Annex D.1 the gateway tells apart (111–130 front-end equipment, 131–199 peripherals, 200–299 platform). */
export const GB_TYPES = {
  dvr: 111,
  videoServer: 112,
  encoder: 113,
  decoder: 114,
  alarmHost: 117,
  nvr: 118,
  hvr: 119,
  camera: 131,
  ipc: 132,
  monitor: 133,
  alarmInput: 134,
  alarmOutput: 135,
  sipServer: 200,
  businessGroup: 215,
  virtualOrganisation: 216,
} as const;

const ID = /^\d{20}$/;

export function isGbId(id: string): boolean {
  return ID.test(id);
}

/** Parses a 20-digit id; throws GW_ERR_GB_ID_INVALID otherwise. */
export function parseGbId(id: string): GbId {
  if (!isGbId(id)) throw GB_ERRORS.error('GW_ERR_GB_ID_INVALID', `${JSON.stringify(id.slice(0, 40))}: 20 digits expected`);
  return { id, centre: id.slice(0, 8), industry: id.slice(8, 10), type: Number(id.slice(10, 13)), serial: id.slice(13), domain: id.slice(0, 10) };
}

/** What the id names, for the gateway: a recorder with channels, a camera, or something else. */
export function gbRole(id: string): 'recorder' | 'camera' | 'alarm' | 'platform' | 'other' {
  const { type } = parseGbId(id);
  if (type === GB_TYPES.dvr || type === GB_TYPES.nvr || type === GB_TYPES.hvr || type === GB_TYPES.videoServer || type === GB_TYPES.encoder) return 'recorder';
  if (type === GB_TYPES.camera || type === GB_TYPES.ipc) return 'camera';
  if (type === GB_TYPES.alarmInput || type === GB_TYPES.alarmOutput || type === GB_TYPES.alarmHost) return 'alarm';
  if (type >= 200 && type <= 299) return 'platform';
  return 'other';
}
