/**
 * What the duty officer should do, per alarm type.
 *
 * The district configures these in config.alarms.instructions, served by GET /api/config/ui.
 * The built-in defaults below (the default configuration's text, plus the types it leaves
 * out) stand in, marked, for a type the district did not configure or while the gateway does
 * not answer. Configured text is "中文 / English"; splitText() reads it.
 */
import type { Lang } from './i18n/dictionary.js';

export const DEFAULT_INSTRUCTIONS: Readonly<Record<string, string>> = {
  panic: '立即通过 110 调度就近警力赶赴现场；电话联系学校门卫室核实；查看校门摄像机。 / Dispatch the nearest patrol via 110; call the guard post; check the gate cameras.',
  'barrier-impact': '防冲撞装置受到撞击：立即调度警力，查看校门摄像机。 / Barrier impact: dispatch police, check the gate cameras.',
  'barrier-down-in-window': '上下学时段防冲撞装置未升起：通知学校门卫室立即升起。 / Barrier down during school rush: tell the guard post to raise it.',
  'device-offline': '设备离线：通知维保技术员排查供电、网络与 SIM 卡。 / Device offline: send a technician to check power, network and SIM.',
  'device-fault': '设备故障：通知维保技术员。 / Device fault: notify a technician.',
  tamper: '设备被拆动：联系学校核实，必要时出警。 / Tamper: call the school, dispatch if needed.',
  'barrier-fault': '防冲撞装置故障：通知学校人工值守校门，并通知维保技术员。 / Barrier fault: have the school guard the gate by hand; notify a technician.',
  'camera-fault': '摄像机故障：通知维保技术员；必要时请学校加强人工巡查。 / Camera fault: notify a technician; ask the school to patrol by hand if needed.',
  'link-down': '110 链路中断：立即电话通知 110 指挥中心，报警改为电话上报，通知技术员。 / 110 link down: phone the 110 command centre, report alarms by phone, call a technician.',
  'channel-down': '广播通道中断：改用电话逐一通知，并通知技术员。 / Broadcast channel down: notify by phone one by one; call a technician.',
  'storage-full': '网关存储已满：报警按钮的按压不被确认，设备会重发；立即通知技术员清理磁盘，并请学校遇警改用电话报警。 / Gateway storage full: presses are not acknowledged (devices resend); call a technician to free disk space; ask schools to report by phone meanwhile.',
  'node-down': '网关节点离线：其余节点已接管 110 联网；通知技术员恢复该节点。 / Gateway node down: the other nodes have taken over the 110 link; call a technician to restore the node.',
};

/** "中文 / English" → the part for the language (the whole text when not bilingual). */
export function splitText(text: string, lang: Lang): string {
  const i = text.indexOf(' / ');
  if (i < 0) return text;
  return lang === 'zh' ? text.slice(0, i).trim() : text.slice(i + 3).trim();
}

export interface Instructions {
  text: string;
  /**
   * Where the text comes from: the district's configuration; a built-in default because the
   * district did not configure this type; a built-in default because the gateway did not say.
   */
  source: 'config' | 'default' | 'no-config';
}

/** `configured` is undefined until GET /api/config/ui answered. */
export function instructionsFor(type: string, lang: Lang, configured: Readonly<Record<string, string>> | undefined): Instructions | undefined {
  const fromConfig = configured?.[type];
  if (fromConfig) return { text: splitText(fromConfig, lang), source: 'config' };
  const fallback = DEFAULT_INSTRUCTIONS[type];
  return fallback ? { text: splitText(fallback, lang), source: configured ? 'default' : 'no-config' } : undefined;
}
