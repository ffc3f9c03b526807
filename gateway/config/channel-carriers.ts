/**
 * Which running adapter carries each broadcast channel. Adapters declare the channels they
 * offer (AdapterFactory.channels); when two offer the same one (sms over SMPP and over CMPP),
 * `broadcast.channelAdapters.<channel>` names the carrier. Checked before any adapter starts,
 * so an ambiguous configuration is refused with its path instead of one channel silently
 * replacing the other.
 */
import { BROADCAST_CHANNELS, type ChannelName } from '../contract/capabilities.js';
import { GatewayError } from '../contract/errors.js';

export interface ChannelOffer {
  type: string;
  channels?: readonly ChannelName[];
}

export function channelCarriers(running: readonly ChannelOffer[], chosen: Partial<Record<ChannelName, string>>): Map<ChannelName, string> {
  const carriers = new Map<ChannelName, string>();
  const errors: string[] = [];
  for (const channel of BROADCAST_CHANNELS) {
    const path = `/broadcast/channelAdapters/${channel}`;
    const offering = running.filter((a) => a.channels?.includes(channel)).map((a) => a.type);
    const choice = chosen[channel];
    if (choice !== undefined) {
      if (!running.some((a) => a.type === choice)) {
        errors.push(`${path}: '${choice}' is not running (configure adapters.${choice}, or give a device adapter: ${choice})`);
      } else if (!offering.includes(choice)) {
        errors.push(`${path}: '${choice}' does not offer the '${channel}' channel${offering.length > 0 ? ` (offered by ${offering.join(', ')})` : ''}`);
      } else {
        carriers.set(channel, choice);
      }
      continue;
    }
    if (offering.length > 1) {
      errors.push(`${path}: ${offering.length === 2 ? 'both ' : ''}${offering.join(' and ')} offer the '${channel}' channel; name the one that carries it`);
    } else if (offering[0] !== undefined) {
      carriers.set(channel, offering[0]);
    }
  }
  if (errors.length > 0) throw new GatewayError('GW_ERR_CONFIG_INVALID', errors.join('; '), { details: errors });
  return carriers;
}
