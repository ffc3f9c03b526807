/**
 * Strings of a school's history charts (telemetry history and availability API) and of the
 * schematic map of the schools, Chinese first, English second; merged into the one dictionary
 * by dictionary.ts.
 */

const zhChartsUi = {
  'history.title': '设备历史曲线',
  'history.range': '时间范围',
  'history.range.24h': '近 24 小时',
  'history.range.7d': '近 7 天',
  'history.uptimeSchool': '本校设备在线率（{range}）：',
  'history.uptimeDevice': '在线率 {pct}',
  'history.uptimeHint': '在线率按网关记录的设备状态变化计算；网关尚无记录的时段计为不在线。',
  'history.noData': '暂无数据',
  'history.loading': '正在加载…',
  'history.failed': '历史数据读取失败：{msg}',
  'history.noDevices': '本校没有上报遥测的设备（一键报警、防冲撞装置）',
  'history.bucket': '每 {n}的平均值',
  'history.updated': '更新于 {time}',
  'history.field.battery': '电量',
  'history.field.rssi': '信号强度',
  'history.field.pressure': '液压',
  'history.chartLabel': '{device}：{field}（{range}），{n} 个数据点，最新 {last}',
  'history.chartLabelEmpty': '{device}：{field}（{range}），暂无数据',
  'history.minutes': '{n} 分钟',
  'history.hours': '{n} 小时',
  'schools.layout': '显示方式',
  'schools.layoutTiles': '方块',
  'schools.layoutMap': '地图',
  'map.label': '学校分布示意图',
  'map.hint': '示意图：按各校登记坐标绘制，不含街道底图。点击或按回车打开学校。',
  'map.legend': '图例',
  'map.ring': '红色脉冲圆环：有未解除的紧急报警',
  'map.command': '方形：指挥中心',
  'map.unlocated': '未登记坐标（{n}）',
  'map.marker': '{name}：{status}，{alarms}',
  'map.north': '北',
  'map.km': '{n} 公里',
  'map.none': '没有可显示的学校',
} as const;

export type ChartsUiKey = keyof typeof zhChartsUi;

const enChartsUi: Record<ChartsUiKey, string> = {
  'history.title': 'Device history',
  'history.range': 'Range',
  'history.range.24h': 'Last 24 h',
  'history.range.7d': 'Last 7 days',
  'history.uptimeSchool': 'School availability ({range}): ',
  'history.uptimeDevice': 'Up {pct}',
  'history.uptimeHint': 'Availability is computed from the state changes the gateway recorded; time without a record counts as not up.',
  'history.noData': 'No data yet',
  'history.loading': 'Loading…',
  'history.failed': 'Could not read the history: {msg}',
  'history.noDevices': 'No device of this school reports telemetry (alarm buttons, barriers)',
  'history.bucket': 'mean per {n}',
  'history.updated': 'Updated {time}',
  'history.field.battery': 'Battery',
  'history.field.rssi': 'Signal (RSSI)',
  'history.field.pressure': 'Hydraulic pressure',
  'history.chartLabel': '{device}: {field} ({range}), {n:point|points}, latest {last}',
  'history.chartLabelEmpty': '{device}: {field} ({range}), no data yet',
  'history.minutes': '{n} min',
  'history.hours': '{n} h',
  'schools.layout': 'Layout',
  'schools.layoutTiles': 'Tiles',
  'schools.layoutMap': 'Map',
  'map.label': 'Schematic map of the schools',
  'map.hint': 'Schematic: schools placed by their registered coordinates, no street map. Click or press Enter to open a school.',
  'map.legend': 'Legend',
  'map.ring': 'Pulsing red ring: open critical alarm',
  'map.command': 'Square: command centre',
  'map.unlocated': 'No coordinates ({n})',
  'map.marker': '{name}: {status}, {alarms}',
  'map.north': 'N',
  'map.km': '{n} km',
  'map.none': 'No school to show',
};

export const zhCharts = { ui: zhChartsUi };
export const enCharts = { ui: enChartsUi };
