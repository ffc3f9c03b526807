/**
 * Generates config/default.yaml: the simulated district used by `npm start` and the tests.
 * Run `npx tsx scripts/gen-district.ts` after changing it; the output is committed so ids
 * stay stable and the file can be read and edited by hand.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { DEFAULT_COST, hashPassword } from '../gateway/auth/passwords.js';
import { demoSecretHash } from '../simulators/demo-secret.js';

const SCHOOLS: [string, string][] = [
  ['城东区第一中学', 'Chengdong No.1 Middle School'],
  ['城东区第二中学', 'Chengdong No.2 Middle School'],
  ['城东区实验小学', 'Chengdong Experimental Primary School'],
  ['城东区第三中学', 'Chengdong No.3 Middle School'],
  ['东湖小学', 'Donghu Primary School'],
  ['望江小学', 'Wangjiang Primary School'],
  ['朝阳中学', 'Chaoyang Middle School'],
  ['育才小学', 'Yucai Primary School'],
  ['新华小学', 'Xinhua Primary School'],
  ['光明中学', 'Guangming Middle School'],
  ['春晖小学', 'Chunhui Primary School'],
  ['文澜中学', 'Wenlan Middle School'],
  ['明德小学', 'Mingde Primary School'],
  ['博雅中学', 'Boya Middle School'],
  ['启明小学', 'Qiming Primary School'],
  ['金沙小学', 'Jinsha Primary School'],
  ['翠苑中学', 'Cuiyuan Middle School'],
  ['青蓝小学', 'Qinglan Primary School'],
  ['树人中学', 'Shuren Middle School'],
  ['星洲小学', 'Xingzhou Primary School'],
  ['天成中学', 'Tiancheng Middle School'],
  ['崇文小学', 'Chongwen Primary School'],
  ['长河小学', 'Changhe Primary School'],
  ['景华中学', 'Jinghua Middle School'],
  ['桃源小学', 'Taoyuan Primary School'],
  ['钱塘中学', 'Qiantang Middle School'],
  ['海宁路小学', 'Haining Road Primary School'],
  ['求是小学', 'Qiushi Primary School'],
  ['紫金港中学', 'Zijingang Middle School'],
  ['聚英小学', 'Juying Primary School'],
  ['和平小学', 'Heping Primary School'],
  ['行知中学', 'Xingzhi Middle School'],
  ['城东区中心幼儿园', 'Chengdong Central Kindergarten'],
];

const pad = (n: number) => String(n).padStart(2, '0');
// GB/T 28181 ids of the district (Annex D): centre 34020000, industry 00, type 118 (NVR) or 131
// (camera), serial 00<school>0<camera>; the realm/domain is the conventional 3402000000.
const GB_PLATFORM_ID = '34020000002000000001';
const gbNvrId = (n: number) => `3402000000118000${pad(n)}00`;
const gbCameraId = (n: number, c: number) => `3402000000131000${pad(n)}0${c}`;
const gbSchoolPrefix = (n: number) => `3402000000131000${pad(n)}`;
// Devices' MQTT passwords are demo-pass-<device-id>; only their mosquitto `$7$` hashes are
// written (salt derived from the id, so regenerating leaves them unchanged).
const secretHash = demoSecretHash;

// Entry, noon and exit rush on school days (Mon–Fri), as the district's police set them.
const windows = [
  { days: [1, 2, 3, 4, 5], start: '07:00', end: '08:30', label: '入校' },
  { days: [1, 2, 3, 4, 5], start: '11:20', end: '12:30', label: '午间' },
  { days: [1, 2, 3, 4, 5], start: '16:00', end: '18:00', label: '放学' },
];
const holidays = ['2026-10-01', '2026-10-02', '2026-10-05', '2027-01-01', '2027-02-08', '2027-02-09', '2027-02-10'];

const sites = SCHOOLS.map(([name, nameEn], i) => {
  const n = i + 1;
  const id = `sch-${pad(n)}`;
  const secondary = name.includes('中学');
  const buttons = secondary ? 2 : 1;
  const devices: Record<string, unknown>[] = [];
  const buttonPlaces = ['门卫室', '教学楼大厅'];
  for (let b = 1; b <= buttons; b++) {
    const did = `${id}-btn-${b}`;
    devices.push({ id: did, kind: 'alarm-button', name: `一键报警 ${buttonPlaces[b - 1]}`, secretHash: secretHash(did) });
  }
  const bar = `${id}-bar-1`;
  // The first five schools' barriers hang off the district's Modbus TCP controller; the rest
  // report over MQTT themselves.
  if (n <= 5) {
    devices.push({ id: bar, kind: 'barrier', adapter: 'barrier-modbus', name: '校门防冲撞装置 (Modbus)', options: { controller: 'district-plc', unitId: n, model: 'sim-rb1' } });
  } else {
    devices.push({ id: bar, kind: 'barrier', name: '校门防冲撞装置', secretHash: secretHash(bar) });
  }
  const cameraPlaces = ['校门', '操场', '教学楼走廊', '围墙'];
  // One kindergarten reports through a vendor alarm panel speaking SIA DC-09, not MQTT.
  if (n === 33) {
    devices.push({ id: `${id}-btn-2`, kind: 'alarm-button', adapter: 'panel-dc09', name: '一键报警 报警主机 (DC-09)', options: { account: String(1000 + n), zone: 2 } });
  }
  if (n >= 6 && n <= 10) {
    devices.push({ id: `${id}-nvr-1`, kind: 'nvr', adapter: 'camera-gb28181', name: '硬盘录像机 (GB/T 28181)', options: { gbId: gbNvrId(n) } });
  }
  cameraPlaces.forEach((place, c) => {
    const did = `${id}-cam-${c + 1}`;
    // The first five schools' cameras are checked over ONVIF/RTSP through the district NVR
    // (the simulated district runs an ONVIF camera fleet on 12554); the rest report over MQTT.
    if (n <= 5) {
      devices.push({
        id: did,
        kind: 'camera',
        adapter: 'camera-onvif',
        name: `摄像机 ${place}`,
        options: { endpoint: 'district-nvr', path: `/cameras/${did}/onvif/device_service`, username: 'admin', password: 'demo-pass-camera' },
      });
    } else if (n <= 10) {
      // Schools 6–10: cameras behind the school's NVR, which registers to the gateway over GB/T 28181.
      devices.push({ id: did, kind: 'camera', adapter: 'camera-gb28181', name: `摄像机 ${place}`, options: { gbId: gbCameraId(n, c + 1) } });
    } else {
      devices.push({ id: did, kind: 'camera', name: `摄像机 ${place}`, secretHash: secretHash(did) });
    }
  });
  return {
    id,
    name,
    nameEn,
    district: 'chengdong',
    location: { lat: Number((30.27 + ((n * 37) % 23) * 0.004).toFixed(4)), lon: Number((120.19 + ((n * 53) % 29) * 0.005).toFixed(4)) },
    timeZone: 'Asia/Shanghai',
    protectionWindows: windows,
    holidays,
    arcAccount: String(1000 + n),
    contacts: [
      { name: `${name}门卫室`, role: 'guard-post', phone: `1380571${pad(n)}01`, radio: `tg-sch-${pad(n)}` },
      { name: `${name}安保负责人`, role: 'school-contact', phone: `1380571${pad(n)}02` },
    ],
    devices,
  };
});

// Field sweep: 7 of 33 schools had alarm buttons out of service. The simulated district
// starts with the same failures so sweeps and the outage board have something true to find.
const faults: Record<string, string[]> = {
  'sch-03-btn-1': ['dead'],
  'sch-07-btn-1': ['sim-suspended'],
  'sch-10-btn-2': ['fault'],
  'sch-15-btn-1': ['no-link-test'],
  'sch-19-btn-1': ['low-battery'],
  'sch-23-btn-1': ['tamper'],
  'sch-28-btn-1': ['sim-expiring'],
  // Blind cameras, as inspections find them: a covered lens, a frozen picture, one offline.
  'sch-02-cam-3': ['black'],
  'sch-04-cam-2': ['frozen'],
  'sch-05-cam-1': ['offline'],
};

// The district's police command centre: the 110 link and, later, the broadcast channels.
const police = {
  id: 'psb-chengdong',
  name: '城东公安分局指挥中心',
  nameEn: 'Chengdong Public Security Bureau Command Centre',
  kind: 'police',
  district: 'chengdong',
  location: { lat: 30.301, lon: 120.255 },
  timeZone: 'Asia/Shanghai',
  devices: [
    { id: 'arc-110', kind: 'alarm-centre', adapter: 'alarm-centre-dc09', name: '110 报警接收中心联网 (SIA DC-09)' },
    { id: 'sms-gw-1', kind: 'sms', adapter: 'sms-smpp', name: '短信平台 (SMPP)' },
    { id: 'radio-gw-1', kind: 'radio', adapter: 'radio', name: '对讲调度网关', secretHash: secretHash('radio-gw-1') },
  ],
};

// Demo operator accounts (password `demo-pass-<username>`, listed in the README). The salt is
// derived from the username only so that regenerating this file leaves the hashes unchanged.
const demoHash = (username: string) =>
  hashPassword(`demo-pass-${username}`, DEFAULT_COST, createHash('sha256').update(`demo-salt:${username}`).digest().subarray(0, 16));
const operators = [
  { username: 'duty', displayName: '值班民警 王建国', role: 'duty-officer' },
  { username: 'tech', displayName: '维保技术员 李强', role: 'technician' },
  { username: 'tester', displayName: '测试员 赵敏', role: 'tester' },
  { username: 'admin', displayName: '系统管理员', role: 'admin' },
  ...sites.map((s) => ({ username: s.id, displayName: `${s.name} 保卫处`, role: 'school', school: s.id })),
];
const users = [];
for (const o of operators) users.push({ ...o, passwordHash: await demoHash(o.username) });

const config = {
  district: { id: 'chengdong', name: '城东区', nameEn: 'Chengdong District' },
  dataDir: './data',
  log: { level: 'info' },
  http: { host: '0.0.0.0', port: 8080 },
  mqtt: {
    host: '0.0.0.0',
    port: 1883,
    websocketPath: '/mqtt',
    allowAnonymous: false,
    persistence: 'level',
    users: [{ username: 'integrator', passwordHash: demoSecretHash('integrator'), role: 'integrator' }],
    acl: [
      { user: 'integrator', topic: 'campus/v1/alarms/#', access: 'read' },
      { user: 'integrator', topic: 'campus/v1/+/+/status', access: 'read' },
    ],
  },
  barriers: { downInWindowGraceSeconds: 120 },
  health: { lowBatteryPercent: 20, simExpiringDays: 30, linkTestMaxAgeDays: 7, offlineAlarmAfter: 300 },
  alarms: {
    instructions: {
      panic: '立即通过 110 调度就近警力赶赴现场；电话联系学校门卫室核实；查看校门摄像机。 / Dispatch the nearest patrol via 110; call the guard post; check the gate cameras.',
      'barrier-impact': '防冲撞装置受到撞击：立即调度警力，查看校门摄像机。 / Barrier impact: dispatch police, check the gate cameras.',
      'barrier-down-in-window': '上下学时段防冲撞装置未升起：通知学校门卫室立即升起。 / Barrier down during school rush: tell the guard post to raise it.',
      'device-offline': '设备离线：通知维保技术员排查供电、网络与 SIM 卡。 / Device offline: send a technician to check power, network and SIM.',
      'device-fault': '设备故障：通知维保技术员。 / Device fault: notify a technician.',
      tamper: '设备被拆动：联系学校核实，必要时出警。 / Tamper: call the school, dispatch if needed.',
    },
  },
  telemetry: { batchSize: 5000, flushIntervalMs: 1000 },
  adapters: {
    // The simulated district runs two 110 receiver simulators on these ports (npm start).
    'alarm-centre-dc09': {
      device: 'arc-110',
      primary: { host: '127.0.0.1', port: 12110 },
      secondary: { host: '127.0.0.1', port: 12111 },
      receiverNumber: '1',
      line: '1',
      protocol: 'sia',
      supervisionSeconds: 30,
      forward: ['panic', 'barrier-impact'],
    },
    // Barrier controllers polled over Modbus TCP (the simulated district runs one on 12502).
    'barrier-modbus': { controllers: { 'district-plc': { host: '127.0.0.1', port: 12502 } }, pollIntervalMs: 1000 },
    // Cameras checked over ONVIF/RTSP: every 5 minutes, two at a time (each check runs ffmpeg).
    'camera-onvif': { endpoints: { 'district-nvr': { host: '127.0.0.1', port: 12554 } }, checkIntervalSeconds: 300, concurrency: 2 },
    // School NVRs (schools 6–10) register here over GB/T 28181 (SIP on UDP and TCP 15060); the
    // simulated district runs one NVR per school. Channels not configured map to their school by prefix.
    'camera-gb28181': {
      sipId: GB_PLATFORM_ID,
      host: '0.0.0.0',
      port: 15060,
      passwords: Object.fromEntries([6, 7, 8, 9, 10].map((n) => [gbNvrId(n), `demo-pass-gb-${pad(n)}`])),
      prefixes: Object.fromEntries([6, 7, 8, 9, 10].map((n) => [gbSchoolPrefix(n), `sch-${pad(n)}`])),
      keepalive: { intervalSeconds: 60, misses: 3 },
    },
    // Vendor panels report to the gateway's own DC-09 receiver.
    'panel-dc09': { host: '0.0.0.0', port: 12120 },
    // The district SMS platform; the simulated district runs an SMSC simulator here.
    'sms-smpp': { deviceId: 'sms-gw-1', host: '127.0.0.1', port: 12775, systemId: 'campusgw', password: 'demo1234', sourceAddr: '10657110' },
    // The radio dispatch box connects to the broker as device radio-gw-1.
    radio: { broadcastTalkgroups: ['tg-patrol'], talkgroups: [{ id: 'tg-patrol', name: '巡逻警力', radio: 'radio-gw-1' }] },
  },
  auth: { sessionTtlMinutes: 720, lockout: { maxFailures: 5, windowMinutes: 15, lockMinutes: 15 }, users },
  sites: [police, ...sites],
  simulation: { heartbeatSeconds: 30, faults },
};

const header = `# The simulated district (城东区, 33 schools) used by \`npm start\` and the tests.
# Generated by scripts/gen-district.ts; edit that script and run it again.
# Device secrets and operator accounts here are demo credentials for the simulated district only: never deploy them.
`;
writeFileSync(new URL('../config/default.yaml', import.meta.url), header + stringify(config, { lineWidth: 140, aliasDuplicateObjects: false }));
