/**
 * Strings of the tester's simulator control panel (模拟器), Chinese first, English second. Kept
 * apart from the one dictionary (dictionary.ts): the panel asks here through simText(), in the
 * language the app's I18n has chosen, so adding it touched no shared table.
 */
import { interpolate, type I18n, type Vars } from './i18n.js';

const zhSimUi = {
  'nav.simulators': '模拟器',
  'sim.title': '模拟器控制台',
  'sim.lead': '仅在模拟区县运行（--simulate）。每个操作都记入审计日志；网关看到的结果（报警、设备状态）在报警与学校页面。',
  'sim.farEnds': '远端系统',
  'sim.devices': '模拟设备',
  'sim.filterSite': '学校',
  'sim.filterAll': '全部学校',
  'sim.onlyTrouble': '只看异常',
  'sim.count': '{shown} / {total} 台',
  'sim.loading': '正在读取模拟器…',
  'sim.unavailable': '此网关未运行模拟区县（启动时加 --simulate）。',
  'sim.loadFailed': '模拟器状态读取失败：{msg}',
  'sim.done': '{device}：{action} 已执行',
  'sim.failed': '{device}：{action} 失败：{msg}',
  'sim.faultPick': '选择故障',
  'sim.faultOn': '设置故障',
  'sim.faultClear': '清除故障 {fault}',
  'sim.noFaults': '无故障',
  'sim.accepted': '已接收 {n} 条',
  'sim.smsCounts': '会话 {bound} · 短信 {n} 条',
  'sim.position': '位置：{p}',
  'sim.acks': '按钮回执：{stages}',
  'sim.ack.110-received': '110 已接收',
  'sim.ack.officer-acknowledged': '值班员已确认（{by}）',
  'sim.impacts': '撞击 {n} 次',
  'sim.busy': '执行中…',
} as const;

export type SimUiKey = keyof typeof zhSimUi;

const enSimUi: Record<SimUiKey, string> = {
  'nav.simulators': 'Simulators',
  'sim.title': 'Simulator control panel',
  'sim.lead': 'Only on a gateway running its simulated district (--simulate). Every action is audited; what the gateway makes of it (alarms, device health) shows on the board and the school pages.',
  'sim.farEnds': 'Far ends',
  'sim.devices': 'Simulated devices',
  'sim.filterSite': 'School',
  'sim.filterAll': 'All schools',
  'sim.onlyTrouble': 'Only not online or faulty',
  'sim.count': '{shown} / {total:device|devices}',
  'sim.loading': 'Reading the simulators…',
  'sim.unavailable': 'This gateway does not run a simulated district (start it with --simulate).',
  'sim.loadFailed': 'Could not read the simulators: {msg}',
  'sim.done': '{device}: {action} done',
  'sim.failed': '{device}: {action} failed: {msg}',
  'sim.faultPick': 'Choose a fault',
  'sim.faultOn': 'Set fault',
  'sim.faultClear': 'Clear fault {fault}',
  'sim.noFaults': 'No faults',
  'sim.accepted': '{n} accepted',
  'sim.smsCounts': '{bound:session|sessions} · {n:message|messages}',
  'sim.position': 'Position: {p}',
  'sim.acks': 'Button shows: {stages}',
  'sim.ack.110-received': 'received by 110',
  'sim.ack.officer-acknowledged': 'acknowledged by {by}',
  'sim.impacts': '{n:impact|impacts}',
  'sim.busy': 'Working…',
};

/** Button labels per action; `freeze` differs between a hung device and a frozen picture. */
const zhAction: Record<string, string> = {
  press: '按下报警',
  'test-press': '测试按键',
  fault: '故障',
  drop: '断开',
  restore: '恢复',
  freeze: '死机',
  unfreeze: '解除冻结',
  malformed: '错误报文',
  flood: '报文洪泛',
  lower: '降下',
  raise: '升起',
  impact: '撞击',
  cover: '遮挡镜头',
  uncover: '取消遮挡',
  'camera-freeze': '画面冻结',
  'camera-drop': '摄像机离线',
  down: '停机',
  up: '恢复',
};
const enAction: Record<string, string> = {
  press: 'Press',
  'test-press': 'Test press',
  fault: 'Fault',
  drop: 'Drop',
  restore: 'Restore',
  freeze: 'Hang',
  unfreeze: 'Unfreeze',
  malformed: 'Malformed',
  flood: 'Flood',
  lower: 'Lower',
  raise: 'Raise',
  impact: 'Impact',
  cover: 'Cover',
  uncover: 'Uncover',
  'camera-freeze': 'Freeze picture',
  'camera-drop': 'Take offline',
  down: 'Take down',
  up: 'Restore',
};

const zhState: Record<string, string> = {
  online: '在线',
  connecting: '连接中',
  dropped: '已断开',
  dead: '已损坏',
  frozen: '死机',
  stopped: '已停止',
  offline: '离线',
  unreachable: '无响应',
  up: '运行',
  down: '停机',
};
const enState: Record<string, string> = {
  online: 'online',
  connecting: 'connecting',
  dropped: 'dropped',
  dead: 'dead',
  frozen: 'frozen',
  stopped: 'stopped',
  offline: 'offline',
  unreachable: 'unreachable',
  up: 'up',
  down: 'down',
};

const zhFault: Record<string, string> = {
  dead: '损坏',
  'sim-suspended': 'SIM 欠费停机',
  fault: '硬件故障',
  'low-battery': '电量低',
  tamper: '被拆动',
  'sim-expiring': 'SIM 即将到期',
  'no-link-test': '未联网 110',
  offline: '离线',
  'wrong-password': '密码被改',
  black: '黑屏（遮挡）',
  frozen: '画面冻结',
  moved: '被移位',
  'clock-skew': '时钟偏差',
  'stream-down': '视频流中断',
  'video-loss': '视频丢失',
  'hydraulic-pressure-low': '液压不足',
  'motor-overload': '电机过载',
  'limit-switch': '限位开关',
  'emergency-stop': '急停',
  'power-failure': '断电',
  blackhole: '黑洞（不应答、不复位）',
  'refuse-submits': '拒绝全部短信提交',
};
const enFault: Record<string, string> = {
  dead: 'dead',
  'sim-suspended': 'SIM suspended',
  fault: 'hardware fault',
  'low-battery': 'low battery',
  tamper: 'tamper',
  'sim-expiring': 'SIM expiring',
  'no-link-test': 'not linked to 110',
  offline: 'offline',
  'wrong-password': 'password changed',
  black: 'black (covered)',
  frozen: 'frozen picture',
  moved: 'moved',
  'clock-skew': 'clock skew',
  'stream-down': 'stream down',
  'video-loss': 'video loss',
  'hydraulic-pressure-low': 'hydraulic pressure low',
  'motor-overload': 'motor overload',
  'limit-switch': 'limit switch',
  'emergency-stop': 'emergency stop',
  'power-failure': 'power failure',
  blackhole: 'black hole (no answer, no reset)',
  'refuse-submits': 'refuses every submit',
};

const zhPosition: Record<string, string> = { raised: '已升起', lowered: '已降下', raising: '升起中', lowering: '降下中', moving: '移动中', fault: '故障', unknown: '未知' };
const enPosition: Record<string, string> = { raised: 'raised', lowered: 'lowered', raising: 'raising', lowering: 'lowering', moving: 'moving', fault: 'fault', unknown: 'unknown' };

/** The far ends by their control id. */
const zhFarEnd: Record<string, string> = { '110-primary': '110 接警中心 · 主接收机', '110-secondary': '110 接警中心 · 备用接收机', 'sms-centre': '短信中心 (SMPP)' };
const enFarEnd: Record<string, string> = { '110-primary': '110 centre · primary receiver', '110-secondary': '110 centre · secondary receiver', 'sms-centre': 'SMS centre (SMPP)' };

const TABLES = {
  zh: { ui: zhSimUi as Record<SimUiKey, string>, action: zhAction, state: zhState, fault: zhFault, farEnd: zhFarEnd, position: zhPosition },
  en: { ui: enSimUi, action: enAction, state: enState, fault: enFault, farEnd: enFarEnd, position: enPosition },
} as const;

const pick = (table: Readonly<Record<string, string>>, key: string): string => (Object.prototype.hasOwnProperty.call(table, key) ? (table[key] ?? key) : key);

/** The panel's strings in the app's current language. */
export function simText(i18n: Pick<I18n, 'lang'>, key: SimUiKey, vars?: Vars): string {
  return interpolate(TABLES[i18n.lang].ui[key], vars);
}

export const simAction = (i18n: Pick<I18n, 'lang'>, action: string): string => pick(TABLES[i18n.lang].action, action);
export const simState = (i18n: Pick<I18n, 'lang'>, state: string): string => pick(TABLES[i18n.lang].state, state);
export const simPosition = (i18n: Pick<I18n, 'lang'>, position: string): string => pick(TABLES[i18n.lang].position, position);
export const simFault = (i18n: Pick<I18n, 'lang'>, fault: string): string => pick(TABLES[i18n.lang].fault, fault);
export const simFarEnd = (i18n: Pick<I18n, 'lang'>, id: string, fallback: string): string => (Object.prototype.hasOwnProperty.call(TABLES[i18n.lang].farEnd, id) ? pick(TABLES[i18n.lang].farEnd, id) : fallback);
