/** Finds a camera's RTSP stream over ONVIF, for the live view. */
import { parseDeviceOptions } from './config.js';
import { CAMERA_ERRORS } from './errors.js';
import { withCredentials } from './media-probe.js';
import { OnvifClient } from './onvif-client.js';
import type { Device } from '../../gateway/contract/types.js';

export interface StreamSource {
  /** RTSP URL including the credentials (never log it). */
  url: string;
  /** The profile's encoder resolution, when the camera says. */
  width?: number;
  height?: number;
}

export async function resolveStream(
  device: Device,
  requestTimeoutMs: number,
  signal: AbortSignal,
  endpoints: Record<string, { host: string; port: number }> = {},
): Promise<StreamSource> {
  const options = parseDeviceOptions(device.id, device.options, endpoints);
  const client = new OnvifClient(options, { requestTimeoutMs });
  try {
    await client.systemDateAndTime(signal);
    await client.services(signal);
    const profiles = await client.profiles(signal);
    const profile = options.profileToken ? profiles.find((p) => p.token === options.profileToken) : profiles[0];
    if (!profile) throw CAMERA_ERRORS.error('GW_ERR_CAMERA_PROTOCOL', `${device.id} offers no media profile`);
    const uri = await client.streamUri(profile.token, signal);
    return {
      url: withCredentials(uri, options.username, options.password),
      ...(profile.width === undefined ? {} : { width: profile.width }),
      ...(profile.height === undefined ? {} : { height: profile.height }),
    };
  } finally {
    client.close();
  }
}
