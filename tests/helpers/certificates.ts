/**
 * Server certificates for HTTPS tests, made with the openssl CLI at test time: a root CA, an
 * intermediate CA signed by it, and server certificates for 127.0.0.1/localhost signed by the
 * intermediate (so a client trusting only the root needs the chain the server sends). Plus
 * `httpsRequest`, one request on a fresh TLS connection (a new handshake each time) that also
 * reports the certificate the server presented.
 */
import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A random serial for each certificate: signings run at once (Promise.all), and the CA's shared
 * serial file (-CAcreateserial) was once read half-written by one of them (openssl: "Unable to
 * load number from intermediate.srl", every HTTPS test skipped).
 */
export const certificateSerial = (): string => `0x${randomBytes(16).toString('hex')}`;

export interface ServerCertificate {
  cert: string;
  key: string;
  serialNumber: string;
  fingerprint256: string;
}

export interface TestPki {
  dir: string;
  /** The root CA certificate (what a client trusts). */
  root: string;
  /** The intermediate CA certificate (the chain a server sends: http.tls.caFile). */
  intermediate: string;
  /** A server certificate for 127.0.0.1 and localhost, signed by the intermediate. */
  server(name: string): Promise<ServerCertificate>;
  remove(): void;
}

export async function makeTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'https-pki-'));
  const p = (f: string) => join(dir, f);
  const ossl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const sign = async (name: string, cn: string, ca: string, ext: string) => {
    await ossl('req', ...newKey, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}`);
    writeFileSync(p(`${name}.ext`), ext);
    await ossl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${ca}.crt`), '-CAkey', p(`${ca}.key`), '-set_serial', certificateSerial(), '-out', p(`${name}.crt`), '-days', '2', '-extfile', p(`${name}.ext`));
  };
  await ossl('req', '-x509', ...newKey, '-keyout', p('root.key'), '-out', p('root.crt'), '-days', '2', '-subj', '/CN=campus-test-root');
  await sign('intermediate', 'campus-test-intermediate', 'root', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  return {
    dir,
    root: p('root.crt'),
    intermediate: p('intermediate.crt'),
    async server(name) {
      await sign(name, `${name}.gateway.test`, 'intermediate', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
      const x509 = new X509Certificate(readFileSync(p(`${name}.crt`)));
      return { cert: p(`${name}.crt`), key: p(`${name}.key`), serialNumber: x509.serialNumber, fingerprint256: x509.fingerprint256 };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The certificate the server presented on this connection. */
  peer: { serialNumber: string; fingerprint256: string; chain: string[] };
}

/** One HTTPS request on its own connection, trusting `ca` only; a string body is sent as JSON. */
export function httpsRequest(url: string, opts: { ca: Buffer; method?: string; headers?: Record<string, string>; body?: string }): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        ca: opts.ca,
        agent: false,
        headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        timeout: 10_000,
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const cert = socket.getPeerCertificate(true);
        const chain: string[] = [];
        for (let c = cert; c && c.subject && !chain.includes(c.subject.CN as string); c = c.issuerCertificate) chain.push(c.subject.CN as string);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            peer: { serialNumber: cert.serialNumber, fingerprint256: cert.fingerprint256, chain },
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in 10 s`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}
