/**
 * Certificate files named by the configuration (`http.tls`, `mqtt.tls`), read and checked in
 * one place: at start, before anything listens, and again on every reload (SIGHUP). A file
 * that cannot be read, is not PEM, or a key that does not belong to its certificate is a
 * coded configuration error naming the key (`/http/tls/keyFile: …`), never an OpenSSL
 * exception thrown later from inside a listener.
 */
import { readFile } from 'node:fs/promises';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { GatewayError } from '../contract/errors.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile?: string | undefined;
}

/** What a log line and a test say about a loaded certificate. */
export interface CertificateInfo {
  subject: string;
  serialNumber: string;
  /** SHA-256 fingerprint, `AA:BB:…` as openssl prints it. */
  fingerprint256: string;
  validFrom: string;
  validTo: string;
}

export interface TlsMaterial {
  /** certFile as read: the certificate, possibly followed by its chain. */
  cert: Buffer;
  key: Buffer;
  /** caFile as read, when configured. */
  ca?: Buffer;
  certificate: CertificateInfo;
}

function invalid(where: string, message: string, cause?: unknown): GatewayError {
  return new GatewayError('GW_ERR_CONFIG_INVALID', `${where}: ${message}`, { cause, details: [`${where}: ${message}`] });
}

async function read(path: string, where: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    // "ENOENT: no such file or directory" without the repeated ", open '<path>'".
    throw invalid(where, `cannot read ${path}: ${(cause as Error).message.replace(/, \w+ '.*'$/, '')}`, cause);
  }
}

/**
 * Reads certFile, keyFile and caFile (paths as configured, relative to the working directory)
 * and checks that they make a usable server context. `where` is the configuration path of
 * the block (`/http/tls`).
 */
export async function readTlsFiles(files: TlsFiles, where: string): Promise<TlsMaterial> {
  const [cert, key, ca] = await Promise.all([
    read(files.certFile, `${where}/certFile`),
    read(files.keyFile, `${where}/keyFile`),
    files.caFile ? read(files.caFile, `${where}/caFile`) : undefined,
  ]);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (cause) {
    throw invalid(`${where}/certFile`, `${files.certFile} holds no PEM certificate`, cause);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (cause) {
    throw invalid(`${where}/keyFile`, `${files.keyFile} holds no unencrypted PEM private key`, cause);
  }
  if (!x509.checkPrivateKey(privateKey)) throw invalid(`${where}/keyFile`, `${files.keyFile} is not the key of the certificate in ${files.certFile}`);
  if (ca) {
    try {
      new X509Certificate(ca);
    } catch (cause) {
      throw invalid(`${where}/caFile`, `${files.caFile ?? ''} holds no PEM certificate`, cause);
    }
  }
  try {
    createSecureContext({ cert, key, ...(ca ? { ca } : {}) });
  } catch (cause) {
    throw invalid(where, (cause as Error).message, cause);
  }
  return {
    cert,
    key,
    ...(ca ? { ca } : {}),
    certificate: {
      subject: x509.subject.replace(/\n/g, ', '),
      serialNumber: x509.serialNumber,
      fingerprint256: x509.fingerprint256,
      validFrom: x509.validFrom,
      validTo: x509.validTo,
    },
  };
}
