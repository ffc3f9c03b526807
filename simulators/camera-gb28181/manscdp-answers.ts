/**
 * What a simulated NVR answers (GB/T 28181-2016 Annex A.2.6) and notifies (A.2.5): XML written
 * here on its own, not with the adapter's codec, so the simulator checks the adapter's parser
 * rather than agreeing with it by construction.
 */
export interface SimChannel {
  id: string;
  name: string;
  on: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const doc = (root: string, inner: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\r\n<${root}>\r\n${inner}</${root}>\r\n`, 'utf8');

export function keepaliveXml(sn: number, id: string): Buffer {
  return doc('Notify', `<CmdType>Keepalive</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<Status>OK</Status>\r\n`);
}

function itemXml(nvrId: string, c: SimChannel, event?: string): string {
  return (
    `<Item>\r\n<DeviceID>${c.id}</DeviceID>\r\n<Name>${esc(c.name)}</Name>\r\n<Manufacturer>Simulated</Manufacturer>\r\n<Model>SIM-NVR-CH</Model>\r\n` +
    `<Owner>0</Owner>\r\n<CivilCode>${nvrId.slice(0, 6)}</CivilCode>\r\n<Address>school</Address>\r\n<Parental>0</Parental>\r\n<ParentID>${nvrId}</ParentID>\r\n` +
    `<RegisterWay>1</RegisterWay>\r\n<Secrecy>0</Secrecy>\r\n<Status>${c.on ? 'ON' : 'OFF'}</Status>\r\n${event ? `<Event>${event}</Event>\r\n` : ''}</Item>\r\n`
  );
}

export function catalogXml(sn: string, nvrId: string, channels: SimChannel[], root: 'Response' | 'Notify' = 'Response', event?: string, sumNum = channels.length): Buffer {
  const items = channels.map((c) => itemXml(nvrId, c, event)).join('');
  return doc(root, `<CmdType>Catalog</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${nvrId}</DeviceID>\r\n<SumNum>${sumNum}</SumNum>\r\n<DeviceList Num="${channels.length}">\r\n${items}</DeviceList>\r\n`);
}

export function deviceInfoXml(sn: string, id: string, channels: number): Buffer {
  return doc('Response', `<CmdType>DeviceInfo</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<Result>OK</Result>\r\n<DeviceName>SIM NVR</DeviceName>\r\n<Manufacturer>Simulated</Manufacturer>\r\n<Model>SIM-NVR-16</Model>\r\n<Firmware>V4.2.1</Firmware>\r\n<Channel>${channels}</Channel>\r\n`);
}

export function deviceStatusXml(sn: string, id: string, online: boolean, deviceTime: string): Buffer {
  return doc(
    'Response',
    `<CmdType>DeviceStatus</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<Result>OK</Result>\r\n<Online>${online ? 'ONLINE' : 'OFFLINE'}</Online>\r\n<Status>${online ? 'OK' : 'ERROR'}</Status>\r\n<Encode>ON</Encode>\r\n<Record>OFF</Record>\r\n<DeviceTime>${deviceTime}</DeviceTime>\r\n`,
  );
}

export function alarmXml(sn: number, id: string, a: { priority: number; method: number; type: number; description: string; time: string }): Buffer {
  return doc(
    'Notify',
    `<CmdType>Alarm</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<AlarmPriority>${a.priority}</AlarmPriority>\r\n<AlarmMethod>${a.method}</AlarmMethod>\r\n<AlarmTime>${a.time}</AlarmTime>\r\n<AlarmDescription>${esc(a.description)}</AlarmDescription>\r\n<Info>\r\n<AlarmType>${a.type}</AlarmType>\r\n</Info>\r\n`,
  );
}

/** Local wall time in Asia/Shanghai (UTC+8, no DST), as GB devices write it. */
export function shanghaiTime(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19);
}

/** A tiny reader for the platform's queries: the text of an element. */
export function xmlField(body: string, name: string): string | undefined {
  return new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(body)?.[1];
}
