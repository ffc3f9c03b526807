/**
 * Hash routes, so every view is a link an officer can bookmark or put on a second screen:
 * #/board, #/board/<alarmId>, #/schools, #/schools/<siteId>, #/outages?site=&kind=&reason=&state=,
 * #/broadcasts, #/broadcasts/<broadcastId>, #/broadcasts?alarm=<alarmId> (compose for an alarm),
 * #/sweeps, #/sweeps/<sweepId>, #/drills/<drillId> (a drill's report), #/simulators (testers),
 * #/clock (every device's clock drift), #/oncall (who is on duty per role, stand-ins).
 */
import type { OutageFilter } from './derive.js';

export type Route =
  | { view: 'board'; alarmId?: string }
  | { view: 'schools'; siteId?: string }
  | { view: 'outages'; filter: OutageFilter }
  | { view: 'broadcasts'; broadcastId?: string; alarmId?: string }
  | { view: 'sweeps'; sweepId?: string }
  | { view: 'drill'; drillId: string }
  | { view: 'simulators' }
  | { view: 'clock' }
  | { view: 'oncall' };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = raw.split('?', 2);
  const [view, id] = path.split('/').map((p) => decodeURIComponent(p));
  if (view === 'schools') return id ? { view: 'schools', siteId: id } : { view: 'schools' };
  if (view === 'outages') {
    const q = new URLSearchParams(query);
    const filter: OutageFilter = {};
    for (const k of ['site', 'kind', 'reason', 'state'] as const) {
      const v = q.get(k);
      if (v) filter[k] = v;
    }
    return { view: 'outages', filter };
  }
  if (view === 'sweeps') return id ? { view: 'sweeps', sweepId: id } : { view: 'sweeps' };
  if (view === 'drills' && id) return { view: 'drill', drillId: id };
  if (view === 'simulators') return { view: 'simulators' };
  if (view === 'clock') return { view: 'clock' };
  if (view === 'oncall') return { view: 'oncall' };
  if (view === 'broadcasts') {
    const alarm = new URLSearchParams(query).get('alarm');
    return { view: 'broadcasts', ...(id ? { broadcastId: id } : {}), ...(alarm ? { alarmId: alarm } : {}) };
  }
  return id ? { view: 'board', alarmId: id } : { view: 'board' };
}

export function routeHref(route: Route): string {
  switch (route.view) {
    case 'board':
      return route.alarmId ? `#/board/${encodeURIComponent(route.alarmId)}` : '#/board';
    case 'schools':
      return route.siteId ? `#/schools/${encodeURIComponent(route.siteId)}` : '#/schools';
    case 'outages': {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(route.filter)) if (v) q.set(k, v);
      const s = q.toString();
      return s ? `#/outages?${s}` : '#/outages';
    }
    case 'broadcasts': {
      const path = route.broadcastId ? `#/broadcasts/${encodeURIComponent(route.broadcastId)}` : '#/broadcasts';
      return route.alarmId ? `${path}?alarm=${encodeURIComponent(route.alarmId)}` : path;
    }
    case 'sweeps':
      return route.sweepId ? `#/sweeps/${encodeURIComponent(route.sweepId)}` : '#/sweeps';
    case 'drill':
      return `#/drills/${encodeURIComponent(route.drillId)}`;
    case 'simulators':
      return '#/simulators';
    case 'clock':
      return '#/clock';
    case 'oncall':
      return '#/oncall';
  }
}
