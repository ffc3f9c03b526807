/**
 * Words of the printed reports, Chinese first with English (technicians read Chinese; the
 * vendor's support desk may not). Reason codes stay visible next to their words: a code is
 * what a technician searches for in the manual.
 */
import type { HealthStatus } from '../contract/types.js';
import type { DeviceKind } from '../contract/vocabulary.js';

export interface Bilingual {
  zh: string;
  en: string;
}

/** Every code of HEALTH_REASONS has an entry (a unit test holds us to it); unknown codes print as themselves. */
export const REASON_LABELS: Readonly<Record<string, Bilingual>> = {
  'no-heartbeat': { zh: '无心跳（长时间未上报）', en: 'No heartbeat' },
  offline: { zh: '离线', en: 'Offline' },
  fault: { zh: '硬件故障', en: 'Hardware fault' },
  'sim-suspended': { zh: 'SIM 卡停机（欠费）', en: 'SIM suspended (unpaid)' },
  'sim-expiring': { zh: 'SIM 卡即将到期', en: 'SIM expiring soon' },
  'not-linked-110': { zh: '未联通 110', en: 'Not linked to 110' },
  'low-battery': { zh: '电量低', en: 'Low battery' },
  tamper: { zh: '设备被拆动', en: 'Tampered with' },
  unreachable: { zh: '无法连接', en: 'Unreachable' },
  'auth-failed': { zh: '认证失败', en: 'Authentication failed' },
  'stream-down': { zh: '视频流中断', en: 'Video stream down' },
  'no-stream-uri': { zh: '取不到视频流地址', en: 'No stream address' },
  'image-black': { zh: '画面黑屏', en: 'Black image' },
  'image-frozen': { zh: '画面冻结', en: 'Frozen image' },
  'image-changed': { zh: '画面被移动或遮挡', en: 'View moved or blocked' },
  'clock-drift': { zh: '设备时钟偏差', en: 'Clock drift' },
  'barrier-down-in-window': { zh: '上下学时段未升起', en: 'Down during school entry/exit' },
  'barrier-fault': { zh: '防冲撞装置故障', en: 'Barrier fault' },
  'barrier-command-failed': { zh: '防冲撞装置指令失败', en: 'Barrier command failed' },
  'channel-unbound': { zh: '通道未绑定', en: 'Channel unbound' },
  throttled: { zh: '被限流', en: 'Throttled' },
  'link-down': { zh: '链路中断', en: 'Link down' },
  'receiver-down': { zh: '110 接收端不可达', en: '110 receiver unreachable' },
  nak: { zh: '接警中心拒收', en: 'Rejected by the alarm centre' },
  flooding: { zh: '消息过多（疑似故障）', en: 'Flooding' },
  'check-error': { zh: '巡检出错', en: 'Check error' },
  'gb-keepalive-lost': { zh: '国标心跳丢失', en: 'GB/T 28181 keepalive lost' },
  'gb-channel-off': { zh: '国标通道离线', en: 'GB/T 28181 channel off' },
};

export const STATUS_LABELS: Readonly<Record<HealthStatus, Bilingual>> = {
  ok: { zh: '正常', en: 'OK' },
  degraded: { zh: '异常', en: 'Degraded' },
  offline: { zh: '离线', en: 'Offline' },
  unknown: { zh: '未知', en: 'Unknown' },
};

export const KIND_LABELS: Readonly<Record<DeviceKind, Bilingual>> = {
  'alarm-button': { zh: '一键报警', en: 'Alarm button' },
  barrier: { zh: '防冲撞装置', en: 'Barrier' },
  camera: { zh: '摄像机', en: 'Camera' },
  nvr: { zh: '硬盘录像机', en: 'NVR' },
  sms: { zh: '短信平台', en: 'SMS platform' },
  radio: { zh: '对讲系统', en: 'Radio' },
  'alarm-centre': { zh: '110 接警中心链路', en: '110 centre link' },
};

export const STATE_LABELS: Readonly<Record<string, Bilingual>> = {
  running: { zh: '进行中', en: 'Running' },
  done: { zh: '已完成', en: 'Done' },
  cancelled: { zh: '已取消', en: 'Cancelled' },
};

export function reasonLabel(code: string): Bilingual {
  return REASON_LABELS[code] ?? { zh: code, en: code };
}

export function bilingual(l: Bilingual, sep = ' / '): string {
  return l.zh === l.en ? l.zh : `${l.zh}${sep}${l.en}`;
}
