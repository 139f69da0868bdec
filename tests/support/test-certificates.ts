// A throwaway certificate authority and a broker certificate signed by it, made with the machine's
// `openssl` for tests that need TLS the way the cluster does it (Strimzi signs each broker's
// certificate with its cluster CA; clients trust that CA, KAFKA_CA_FILE). Keys are EC P-256: quick to
// generate, and Kafka's PEM key stores take them.
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { serviceAvailable } from './services.ts'

const run = promisify(execFile)

export type TestCertificates = {
  /** The CA certificate (PEM): what a client trusts. */
  caFile: string
  /** The same certificate's text. */
  caPem: string
  /** The broker's PKCS#8 key followed by its certificate (PEM): a Kafka `ssl.keystore.type=PEM` store. */
  brokerKeyStoreFile: string
}

/** Gate for suites that make certificates: skips locally without openssl, fails under CI=true. */
export function opensslAvailable(): Promise<boolean> {
  return serviceAvailable('openssl', () => run('openssl', ['version']))
}

/** Fails with openssl's own message when openssl is missing or refuses an argument. */
export async function createTestCertificates(
  dir: string,
  options: { hosts?: { ips?: string[]; dns?: string[] } } = {},
): Promise<TestCertificates> {
  const ips = options.hosts?.ips ?? ['127.0.0.1']
  const dns = options.hosts?.dns ?? ['localhost']
  const file = (name: string) => join(dir, name)
  const ecKey = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
  await run('openssl', ['genpkey', ...ecKey, '-out', file('ca.key')])
  await run('openssl', [
    'req',
    ...['-x509', '-new', '-key', file('ca.key'), '-days', '2', '-subj', '/CN=taskflow-test-ca'],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ...['-out', file('ca.crt')],
  ])
  await run('openssl', ['genpkey', ...ecKey, '-out', file('broker.key')])
  await run('openssl', [
    ...['req', '-new', '-key', file('broker.key'), '-subj', '/CN=taskflow-test-broker'],
    ...['-out', file('broker.csr')],
  ])
  const altNames = [...ips.map((ip) => `IP:${ip}`), ...dns.map((name) => `DNS:${name}`)].join(',')
  await writeFile(file('broker.ext'), `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\n`)
  await run('openssl', [
    'x509',
    ...['-req', '-in', file('broker.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key')],
    ...['-CAcreateserial', '-days', '2', '-extfile', file('broker.ext'), '-out', file('broker.crt')],
  ])
  const keyStore = `${await readFile(file('broker.key'), 'utf8')}${await readFile(file('broker.crt'), 'utf8')}`
  await writeFile(file('broker-keystore.pem'), keyStore)
  return {
    caFile: file('ca.crt'),
    caPem: await readFile(file('ca.crt'), 'utf8'),
    brokerKeyStoreFile: file('broker-keystore.pem'),
  }
}
