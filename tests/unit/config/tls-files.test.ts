/**
 * readTlsFiles: the one reader of certificate files (http.tls, mqtt.tls), at start and on
 * every reload. Certificates made by openssl at test time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTlsFiles } from '../../../gateway/config/tls-files.js';
import { isGatewayError } from '../../../gateway/contract/errors.js';
import { makeTestPki, type ServerCertificate, type TestPki } from '../../helpers/certificates.js';

let pki: TestPki;
let server: ServerCertificate;

beforeAll(async () => {
  pki = await makeTestPki();
  server = await pki.server('unit');
}, 30_000);
afterAll(() => pki?.remove());

async function refusal(files: { certFile: string; keyFile: string; caFile?: string }): Promise<string> {
  const err: unknown = await readTlsFiles(files, '/x/tls').then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isGatewayError(err)) throw new Error(`not refused with a coded error: ${String(err)}`);
  expect(err.code).toBe('GW_ERR_CONFIG_INVALID');
  expect(err.details).toHaveLength(1);
  return err.message;
}

describe('readTlsFiles', () => {
  it('reads a certificate, its key and a chain, and says which certificate it is', async () => {
    const m = await readTlsFiles({ certFile: server.cert, keyFile: server.key, caFile: pki.intermediate }, '/x/tls');
    expect(m.certificate.serialNumber).toBe(server.serialNumber);
    expect(m.certificate.fingerprint256).toBe(server.fingerprint256);
    expect(m.certificate.subject).toBe('CN=unit.gateway.test');
    expect(Date.parse(m.certificate.validTo)).toBeGreaterThan(Date.now());
    expect(m.ca?.equals(readFileSync(pki.intermediate))).toBe(true);
  });

  it('takes a certFile holding the chain after the certificate (the leaf is what it reports)', async () => {
    const chain = join(pki.dir, 'chain.crt');
    writeFileSync(chain, Buffer.concat([readFileSync(server.cert), readFileSync(pki.intermediate)]));
    expect((await readTlsFiles({ certFile: chain, keyFile: server.key }, '/x/tls')).certificate.serialNumber).toBe(server.serialNumber);
  });

  it('names the key and the reason of each refusal', async () => {
    expect(await refusal({ certFile: join(pki.dir, 'absent.crt'), keyFile: server.key })).toBe(
      `configuration is invalid: /x/tls/certFile: cannot read ${join(pki.dir, 'absent.crt')}: ENOENT: no such file or directory`,
    );
    expect(await refusal({ certFile: pki.dir, keyFile: server.key })).toContain(`/x/tls/certFile: cannot read ${pki.dir}: EISDIR`);
    const garbage = join(pki.dir, 'garbage.pem');
    writeFileSync(garbage, 'not PEM at all\n');
    expect(await refusal({ certFile: server.cert, keyFile: garbage })).toContain(`/x/tls/keyFile: ${garbage} holds no unencrypted PEM private key`);
    expect(await refusal({ certFile: server.cert, keyFile: server.key, caFile: garbage })).toContain(`/x/tls/caFile: ${garbage} holds no PEM certificate`);
    const other = await pki.server('other');
    expect(await refusal({ certFile: server.cert, keyFile: other.key })).toContain(`/x/tls/keyFile: ${other.key} is not the key of the certificate in ${server.cert}`);
  });
});
