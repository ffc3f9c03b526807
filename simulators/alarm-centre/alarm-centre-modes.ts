/** Failure modes of the simulated 110 centre (see alarm-centre-simulator.ts). */
export const ALARM_CENTRE_MODES = ['normal', 'down', 'nak', 'delay', 'drop', 'blackhole'] as const;
export type AlarmCentreMode = (typeof ALARM_CENTRE_MODES)[number];
