/** The adapter contract suite (tests/contract/adapter-contract.ts) run against adapters. */
import { cameraGb28181Adapter } from '../../../adapters/camera-gb28181/index.js';
import { cameraOnvifAdapter } from '../../../adapters/camera-onvif/index.js';
import { smsCmppAdapter } from '../../../adapters/sms-cmpp/index.js';
import type { AdapterFactory } from '../../../gateway/contract/adapter.js';
import { adapterContract } from '../../contract/adapter-contract.js';
import { fakeContext } from '../../helpers/fake-context.js';
import { tempDir } from '../../helpers/gateway.js';
import { DEVICES, SCHOOL } from './camera-gb28181/harness.js';

adapterContract('camera-gb28181', () => ({
  factory: cameraGb28181Adapter as unknown as AdapterFactory<never>,
  config: { host: '127.0.0.1', port: 0, password: 'x', keepalive: { intervalSeconds: 0.1, misses: 3 } },
  ctx: () => fakeContext({ sites: [SCHOOL], devices: DEVICES, adapter: 'camera-gb28181' }),
}));

adapterContract('camera-onvif', () => ({
  factory: cameraOnvifAdapter as unknown as AdapterFactory<never>,
  // Started, it holds its check timer (no cameras configured: nothing is checked).
  config: { checkIntervalSeconds: 3600, events: false },
  ctx: () => fakeContext({ dataDir: tempDir('onvif-contract-') }),
}));

adapterContract('sms-cmpp', () => ({
  factory: smsCmppAdapter as unknown as AdapterFactory<never>,
  // Nobody listens on port 1: started, it holds its reconnect timer (and, briefly, a socket).
  requires: ['/spId', '/srcId'],
  config: { host: '127.0.0.1', port: 1, spId: '901234', sharedSecret: 's3cret', srcId: '1065710001', reconnectMinMs: 50, reconnectMaxMs: 200 },
  ctx: () => fakeContext({ dataDir: tempDir('cmpp-contract-') }),
}));
