/**
 * MQTT over TLS (port 8883 by convention, [MQTT-5.1] "Security"): a TLS listener beside the
 * plain TCP one, optionally requiring client certificates.
 *
 * Identity: a verified client certificate names its device by the subject's Common Name
 * (CN), as mosquitto's `use_identity_as_username` does; subjectAltName entries are not used.
 * With `requireClientCert` (default) the handshake itself refuses a certificate that does not
 * chain to `caFile` (or none); without it, a certificate is still requested when a CA is
 * configured, and one that fails verification makes the CONNECT fail (never a silent
 * fallback to the password).
 */
import { createServer, TLSSocket, type SecureContextOptions, type Server } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { MqttTlsConfig } from '../config/schema.js';
import { readTlsFiles, type TlsMaterial } from '../config/tls-files.js';

export type PeerIdentity =
  | { kind: 'none' }
  | { kind: 'certificate'; commonName: string }
  | { kind: 'rejected'; why: string };

/** Reads and checks mqtt.tls's files (GW_ERR_CONFIG_INVALID naming `/mqtt/tls/…`). */
export function readMqttTlsFiles(cfg: MqttTlsConfig): Promise<TlsMaterial> {
  return readTlsFiles(cfg, '/mqtt/tls');
}

/** The secure context of the listener: at creation, and again on a reload (setSecureContext). */
export function mqttSecureContext(material: TlsMaterial): SecureContextOptions {
  return { cert: material.cert, key: material.key, ...(material.ca ? { ca: material.ca } : {}), minVersion: 'TLSv1.2' };
}

export function createTlsListener(cfg: MqttTlsConfig, material: TlsMaterial, onConnection: (socket: TLSSocket) => void): Server {
  return createServer(
    {
      ...mqttSecureContext(material),
      requestCert: cfg.requireClientCert || material.ca !== undefined,
      rejectUnauthorized: cfg.requireClientCert,
    },
    (socket) => {
      // Small alarm messages must not wait for Nagle (ENVIRONMENT.md).
      socket.setNoDelay(true);
      onConnection(socket);
    },
  );
}

/** What the TLS layer says about the client of an MQTT connection (plain TCP/WebSocket: none). */
export function peerIdentity(conn: Duplex): PeerIdentity {
  if (!(conn instanceof TLSSocket)) return { kind: 'none' };
  const cert = conn.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return { kind: 'none' };
  if (!conn.authorized) return { kind: 'rejected', why: `certificate not verified: ${String(conn.authorizationError ?? 'unknown')}` };
  const cn = cert.subject?.CN;
  const commonName = Array.isArray(cn) ? undefined : cn;
  if (!commonName) return { kind: 'rejected', why: 'certificate has no subject CN' };
  return { kind: 'certificate', commonName };
}
