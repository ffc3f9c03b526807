/**
 * Strings of the camera live view (views/camera-live.ts), Chinese first, English second. Kept
 * apart from the one dictionary and looked up with cameraText(); `zhCameras`/`enCameras` have
 * the dictionary's shape, so they can be merged into dictionary.ts's `ui` as the other
 * feature tables are.
 */
import type { Lang } from './dictionary.js';
import { interpolate, type Vars } from './i18n.js';

export const zhCameras = {
  'camera.liveButton': '实时画面',
  'camera.liveButtonOpen': '正在查看',
  'camera.liveClose': '关闭画面',
  'camera.liveRetry': '重试',
  'camera.liveTitle': '实时画面：{camera}',
  'camera.liveConnecting': '画面连接中…',
  'camera.liveWaiting': '已连接，正在等待画面…',
  'camera.livePlaying': '实时',
  'camera.liveNoPicture': '暂无画面：摄像机没有送出视频',
  'camera.liveOffline': '摄像机离线：无法连接摄像机',
  'camera.liveBusy': '同时播放路数已满（{max} 路）：请先关闭其他画面再试',
  'camera.liveInterrupted': '画面已中断：摄像机视频中断',
  'camera.liveUnavailable': '此摄像机不提供实时画面',
  'camera.liveSessionEnded': '登录已结束，画面已关闭',
  'camera.liveAudit': '每次查看都会记录在审计日志中（查看人、摄像机、时长）',
  'camera.liveCanvas': '摄像机 {camera} 的实时画面',
} as const;

export type CameraUiKey = keyof typeof zhCameras;

export const enCameras: Readonly<Record<CameraUiKey, string>> = {
  'camera.liveButton': 'Live view',
  'camera.liveButtonOpen': 'Viewing',
  'camera.liveClose': 'Close',
  'camera.liveRetry': 'Try again',
  'camera.liveTitle': 'Live view: {camera}',
  'camera.liveConnecting': 'Connecting to the camera…',
  'camera.liveWaiting': 'Connected, waiting for the picture…',
  'camera.livePlaying': 'Live',
  'camera.liveNoPicture': 'No picture: the camera sends no video',
  'camera.liveOffline': 'Camera offline: the camera cannot be reached',
  'camera.liveBusy': 'All {max} live streams are in use: close another view and try again',
  'camera.liveInterrupted': 'The picture stopped: the camera video was interrupted',
  'camera.liveUnavailable': 'This camera offers no live view',
  'camera.liveSessionEnded': 'Your session ended; the live view was closed',
  'camera.liveAudit': 'Every view is recorded in the audit log (who, which camera, how long)',
  'camera.liveCanvas': 'Live picture of camera {camera}',
};

const TABLES: Readonly<Record<Lang, Readonly<Record<CameraUiKey, string>>>> = { zh: zhCameras, en: enCameras };

export function cameraText(lang: Lang, key: CameraUiKey, vars?: Vars): string {
  return interpolate(TABLES[lang][key], vars);
}
