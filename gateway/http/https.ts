/**
 * HTTPS on the HTTP server (`http.tls`): the API, the dashboard and every WebSocket mounted on
 * it (/api/live, the camera live view, MQTT over WebSocket) share one TLS listener. A reload
 * (SIGHUP) gives the listening server a new secure context: new handshakes present the new
 * certificate, connections already open (an operator's /api/live) keep theirs and stay open.
 */
import type { Server as HttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { HttpTlsConfig } from '../config/schema.js';
import { readTlsFiles, type TlsMaterial } from '../config/tls-files.js';

/** Reads and checks http.tls's files (GW_ERR_CONFIG_INVALID naming `/http/tls/…`). */
export function readHttpTlsFiles(cfg: HttpTlsConfig): Promise<TlsMaterial> {
  return readTlsFiles(cfg, '/http/tls');
}

/** The server's secure context: caFile's intermediates are sent after the certificate. */
export function httpsContext(material: TlsMaterial): SecureContextOptions {
  const cert = material.ca ? Buffer.concat([material.cert, Buffer.from('\n'), material.ca]) : material.cert;
  return { cert, key: material.key, minVersion: 'TLSv1.2' };
}

/** Swaps the certificate of the server; only for one created with http.tls (the caller checks). */
export function setHttpsContext(app: FastifyInstance, material: TlsMaterial): void {
  (app.server as unknown as HttpsServer).setSecureContext(httpsContext(material));
}
