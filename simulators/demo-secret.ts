/**
 * The simulated district's demo device credentials, in one place: a device's demo MQTT
 * password is `demo-pass-<device-id>`. config/default.yaml stores only its `$7$` hash (salt
 * derived from the id, so regenerating the file changes nothing), so simulators derive the
 * password from the id instead of reading it from the configuration.
 */
import { derivedSalt, hashSecretSync } from '../gateway/broker/password-hash.js';

export const demoSecret = (deviceId: string): string => `demo-pass-${deviceId}`;

/** The stable mosquitto `$7$` hash of demoSecret(id) written into config/default.yaml. */
export const demoSecretHash = (id: string): string => hashSecretSync(demoSecret(id), { salt: derivedSalt(id) });
