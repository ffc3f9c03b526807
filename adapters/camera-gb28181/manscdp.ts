/**
 * MANSCDP commands the platform side speaks (GB/T 28181-2016 Annex A.2): the queries it sends
 * (Catalog, DeviceInfo, DeviceStatus: A.2.4) and what devices send it: Keepalive and Alarm
 * notifications (A.2.5), answers to its queries (A.2.6), catalog changes (A.2.5, §9.6.3 and
 * 2022 §9.6.4: Item/Event ON, OFF, VLOST, DEFECT, ADD, DEL, UPDATE).
 */
import { child, childText, decodeXmlBody, escapeXml, parseXml, type XmlElement } from './manscdp-xml.js';
import { GB_ERRORS } from './errors.js';

export type QueryCmd = 'Catalog' | 'DeviceInfo' | 'DeviceStatus';

export interface CatalogItem {
  deviceId: string;
  name?: string;
  manufacturer?: string;
  model?: string;
  parentId?: string;
  civilCode?: string;
  address?: string;
  /** ON / OFF (A.2.6.4 Status); absent in some change notifications. */
  status?: string;
  /** Catalog change notifications only (2016 A.2.5 / 2022 §9.6.4). */
  event?: string;
  ipAddress?: string;
}

export type Manscdp =
  | { root: 'Notify'; cmd: 'Keepalive'; sn: string; deviceId: string; status?: string }
  | { root: 'Notify' | 'Response'; cmd: 'Catalog'; sn: string; deviceId: string; sumNum?: number; items: CatalogItem[] }
  | { root: 'Response'; cmd: 'DeviceInfo'; sn: string; deviceId: string; result?: string; deviceName?: string; manufacturer?: string; model?: string; firmware?: string; channel?: number }
  | { root: 'Response'; cmd: 'DeviceStatus'; sn: string; deviceId: string; result?: string; online?: string; status?: string; encode?: string; record?: string; deviceTime?: string; reason?: string }
  | { root: 'Notify'; cmd: 'Alarm'; sn: string; deviceId: string; priority?: number; method?: number; time?: string; description?: string; alarmType?: number; eventType?: number }
  | { root: string; cmd: 'other'; cmdType: string; sn: string; deviceId: string };

const num = (v: string | undefined): number | undefined => (v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : undefined);

function opt<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined || v === '' ? {} : { [key]: v }) as { [P in K]?: V };
}

function item(el: XmlElement): CatalogItem | undefined {
  const deviceId = childText(el, 'DeviceID');
  if (!deviceId) return undefined;
  return {
    deviceId,
    ...opt('name', childText(el, 'Name')),
    ...opt('manufacturer', childText(el, 'Manufacturer')),
    ...opt('model', childText(el, 'Model')),
    ...opt('parentId', childText(el, 'ParentID')),
    ...opt('civilCode', childText(el, 'CivilCode')),
    ...opt('address', childText(el, 'Address')),
    ...opt('status', childText(el, 'Status')?.toUpperCase()),
    ...opt('event', childText(el, 'Event')?.toUpperCase()),
    ...opt('ipAddress', childText(el, 'IPAddress')),
  };
}

/** Parses a MANSCDP body (bytes, in its declared charset). Throws GW_ERR_GB_XML_MALFORMED. */
export function parseManscdp(body: Buffer): Manscdp {
  const root = parseXml(decodeXmlBody(body));
  const cmdType = childText(root, 'CmdType');
  const sn = childText(root, 'SN') ?? '';
  const deviceId = childText(root, 'DeviceID');
  if (!cmdType || !deviceId) throw GB_ERRORS.error('GW_ERR_GB_XML_MALFORMED', `<${root.name}> without CmdType or DeviceID`);
  const t = (n: string) => childText(root, n);
  switch (cmdType) {
    case 'Keepalive':
      if (root.name !== 'Notify') break;
      return { root: 'Notify', cmd: 'Keepalive', sn, deviceId, ...opt('status', t('Status')) };
    case 'Catalog': {
      if (root.name !== 'Response' && root.name !== 'Notify') break;
      const list = child(root, 'DeviceList');
      const items = (list?.children ?? []).filter((c) => c.name === 'Item').flatMap((c) => item(c) ?? []);
      return { root: root.name, cmd: 'Catalog', sn, deviceId, ...opt('sumNum', num(t('SumNum'))), items };
    }
    case 'DeviceInfo':
      if (root.name !== 'Response') break;
      return {
        root: 'Response',
        cmd: 'DeviceInfo',
        sn,
        deviceId,
        ...opt('result', t('Result')),
        ...opt('deviceName', t('DeviceName')),
        ...opt('manufacturer', t('Manufacturer')),
        ...opt('model', t('Model')),
        ...opt('firmware', t('Firmware')),
        ...opt('channel', num(t('Channel'))),
      };
    case 'DeviceStatus':
      if (root.name !== 'Response') break;
      return {
        root: 'Response',
        cmd: 'DeviceStatus',
        sn,
        deviceId,
        ...opt('result', t('Result')),
        ...opt('online', t('Online')?.toUpperCase()),
        ...opt('status', t('Status')?.toUpperCase()),
        ...opt('encode', t('Encode')),
        ...opt('record', t('Record')),
        ...opt('deviceTime', t('DeviceTime')),
        ...opt('reason', t('Reason')),
      };
    case 'Alarm': {
      if (root.name !== 'Notify') break;
      const info = child(root, 'Info');
      const param = info ? child(info, 'AlarmTypeParam') : undefined;
      return {
        root: 'Notify',
        cmd: 'Alarm',
        sn,
        deviceId,
        ...opt('priority', num(t('AlarmPriority'))),
        ...opt('method', num(t('AlarmMethod'))),
        ...opt('time', t('AlarmTime')),
        ...opt('description', t('AlarmDescription')),
        ...opt('alarmType', num(info ? childText(info, 'AlarmType') : undefined)),
        ...opt('eventType', num(param ? childText(param, 'EventType') : undefined)),
      };
    }
  }
  return { root: root.name, cmd: 'other', cmdType, sn, deviceId };
}

/** A query the platform sends (A.2.4.1): UTF-8 declared (2022 §A allows it; 2016 devices read ASCII bodies either way). */
export function queryBody(cmd: QueryCmd, sn: number, deviceId: string): Buffer {
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\r\n<Query>\r\n<CmdType>${cmd}</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${escapeXml(deviceId)}</DeviceID>\r\n</Query>\r\n`, 'utf8');
}

/** The MANSCDP content type (§A: `Application/MANSCDP+xml`); compare case-insensitively. */
export const MANSCDP_TYPE = 'Application/MANSCDP+xml';

export function isManscdp(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';')[0]?.trim().toLowerCase() === 'application/manscdp+xml';
}
