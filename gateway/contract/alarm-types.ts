/**
 * The alarm types: one catalogue of what each alarm is called (Chinese first, English for the
 * dashboard's English view and the vendor's desk) and how severe it is when raised. Rules,
 * broadcast templates, reports and the dashboard all read their words from here.
 */

export type Severity = 'critical' | 'major' | 'minor' | 'warning';
export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, major: 1, minor: 2, warning: 3 };

export interface AlarmTypeSpec {
  /** Severity an alarm of this type is raised with. */
  severity: Severity;
  zh: string;
  en: string;
}

export const ALARM_TYPE_CATALOGUE = {
  panic: { severity: 'critical', zh: '一键报警', en: 'Panic button' },
  'device-offline': { severity: 'major', zh: '设备离线', en: 'Device offline' },
  'device-fault': { severity: 'minor', zh: '设备故障', en: 'Device fault' },
  tamper: { severity: 'major', zh: '设备被拆动', en: 'Tamper' },
  'barrier-impact': { severity: 'critical', zh: '防冲撞装置受撞击', en: 'Barrier impact' },
  'barrier-down-in-window': { severity: 'major', zh: '上下学时段防冲撞装置未升起', en: 'Barrier down in school hours' },
  'barrier-fault': { severity: 'minor', zh: '防冲撞装置故障', en: 'Barrier fault' },
  'camera-fault': { severity: 'minor', zh: '摄像机故障', en: 'Camera fault' },
  'link-down': { severity: 'critical', zh: '110 联网中断', en: '110 link down' },
  'channel-down': { severity: 'major', zh: '广播通道中断', en: 'Broadcast channel down' },
  /** The data directory takes no writes: presses are refused (not acknowledged) until it does. */
  'storage-full': { severity: 'critical', zh: '网关存储已满', en: 'Gateway storage full' },
  /** Cluster mode: a gateway node stopped heart-beating (raised by the lease holder, resolved when it is back). */
  'node-down': { severity: 'major', zh: '网关节点离线', en: 'Gateway node down' },
} as const satisfies Record<string, AlarmTypeSpec>;

export type AlarmType = keyof typeof ALARM_TYPE_CATALOGUE;
export const ALARM_TYPES = Object.keys(ALARM_TYPE_CATALOGUE) as AlarmType[];

/** The alarm type's words in one language; an unknown type (an older record) as itself. */
export function alarmTypeLabel(type: string, lang: 'zh' | 'en' = 'zh'): string {
  const spec = (ALARM_TYPE_CATALOGUE as Record<string, AlarmTypeSpec | undefined>)[type];
  return spec ? spec[lang] : type;
}

/** Every alarm type's words in one language (the dashboard's dictionaries). */
export function alarmTypeLabels(lang: 'zh' | 'en'): Record<AlarmType, string> {
  return Object.fromEntries(ALARM_TYPES.map((t) => [t, ALARM_TYPE_CATALOGUE[t][lang]])) as Record<AlarmType, string>;
}
