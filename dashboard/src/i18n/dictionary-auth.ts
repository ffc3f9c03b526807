/**
 * Strings of operator access control (issue #4): the login screen, the session in the header,
 * refusals by role, and the device controls a role may or may not have; Chinese first, English
 * second; merged into the one dictionary by dictionary.ts. Role names are typed against
 * gateway/auth/auth-config.ts, so a role added there fails the type check here until translated.
 */
import type { Role } from '../../../gateway/auth/auth-config.js';

const zhAuthUi = {
  'login.title': '值班台登录',
  'login.subtitle': '请使用本人账号登录；所有操作均以登录账号记录在案。',
  'login.username': '用户名',
  'login.password': '密码',
  'login.submit': '登录',
  'login.submitting': '正在登录…',
  'login.needBoth': '请填写用户名和密码',
  'login.badCredentials': '用户名或密码错误',
  'login.lockedOut': '登录失败次数过多，该账号已被暂时锁定，请 {m} 分钟后再试',
  'login.lockedOutNoTime': '登录失败次数过多，该账号已被暂时锁定，请稍后再试',
  'login.network': '无法连接网关，请检查网络后重试',
  'login.failed': '登录失败：{msg}',
  'login.expired': '登录已过期或已在别处注销，请重新登录',
  'login.loggedOut': '已退出登录',
  'session.label': '当前登录',
  'session.logout': '退出登录',
  'session.school': '本校：{school}',
  'auth.forbidden': '您的角色（{role}）无权执行此操作',
  'auth.forbiddenView': '您的角色（{role}）无权查看此页面',
  'auth.forbiddenBack': '返回报警页面',
  'device.actions': '操作',
  'device.selfTest': '自检',
  'device.selfTestSent': '已发送自检指令：{device}（结果见 110 联网测试）',
  'device.raise': '升起',
  'device.lower': '降下',
  'device.confirmRaise': '确认升起？',
  'device.confirmLower': '确认降下？',
  'device.commandDone': '{device}：已{command}（{ms} 毫秒）',
  'device.commandFailed': '{device}：操作失败：{msg}',
} as const;

export type AuthUiKey = keyof typeof zhAuthUi;

const enAuthUi: Record<AuthUiKey, string> = {
  'login.title': 'Duty board sign-in',
  'login.subtitle': 'Sign in with your own account: every action is recorded under it.',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.submitting': 'Signing in…',
  'login.needBoth': 'Enter your username and password',
  'login.badCredentials': 'Wrong username or password',
  'login.lockedOut': 'Too many failed sign-ins: this account is locked for now. Try again in {m} min',
  'login.lockedOutNoTime': 'Too many failed sign-ins: this account is locked for now. Try again later',
  'login.network': 'Cannot reach the gateway: check the network and try again',
  'login.failed': 'Sign-in failed: {msg}',
  'login.expired': 'Your session has expired or was signed out elsewhere: please sign in again',
  'login.loggedOut': 'Signed out',
  'session.label': 'Signed in',
  'session.logout': 'Sign out',
  'session.school': 'School: {school}',
  'auth.forbidden': 'Not permitted for your role ({role})',
  'auth.forbiddenView': 'This page is not available to your role ({role})',
  'auth.forbiddenBack': 'Back to alarms',
  'device.actions': 'Actions',
  'device.selfTest': 'Self-test',
  'device.selfTestSent': 'Self-test sent to {device} (result under the 110 link test)',
  'device.raise': 'Raise',
  'device.lower': 'Lower',
  'device.confirmRaise': 'Really raise?',
  'device.confirmLower': 'Really lower?',
  'device.commandDone': '{device}: {command} done ({ms} ms)',
  'device.commandFailed': '{device}: command failed: {msg}',
};

export interface AuthTables {
  role: Record<Role, string>;
}

const zhTables: AuthTables = {
  role: { 'duty-officer': '值班民警', supervisor: '带班领导', technician: '维保技术员', tester: '测试员', school: '学校用户', admin: '系统管理员' },
};

const enTables: AuthTables = {
  role: { 'duty-officer': 'Duty officer', supervisor: 'Supervisor', technician: 'Technician', tester: 'Tester', school: 'School', admin: 'Administrator' },
};

export const zhAuth = { ui: zhAuthUi, tables: zhTables };
export const enAuth = { ui: enAuthUi, tables: enTables };
