import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_PEM_FILE_BYTES, readPemFile } from './kafka-security';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kafka-security-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readPemFile', () => {
  it('reads a PEM file', () => {
    const file = join(dir, 'ca.pem');
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(readPemFile('KAFKA_SSL_CA_FILE', file)).toContain('MIIB');
  });

  it('names the variable when the file is missing, a folder, too large or not PEM', () => {
    expect(() => readPemFile('KAFKA_SSL_CA_FILE', join(dir, 'missing.pem'))).toThrow(
      `KAFKA_SSL_CA_FILE: cannot read ${join(dir, 'missing.pem')} (ENOENT)`,
    );
    mkdirSync(join(dir, 'folder'));
    expect(() => readPemFile('KAFKA_SSL_CERT_FILE', join(dir, 'folder'))).toThrow(
      `KAFKA_SSL_CERT_FILE: ${join(dir, 'folder')} is not a file`,
    );
    const huge = join(dir, 'huge.pem');
    writeFileSync(huge, Buffer.alloc(MAX_PEM_FILE_BYTES + 1, 'A'));
    expect(() => readPemFile('KAFKA_SSL_KEY_FILE', huge)).toThrow(
      /KAFKA_SSL_KEY_FILE: .* is 1048577 bytes, more than a PEM file's 1048576/,
    );
    const binary = join(dir, 'key.der');
    writeFileSync(binary, Buffer.from([0x30, 0x82, 0x01, 0x0a]));
    expect(() => readPemFile('KAFKA_SSL_KEY_FILE', binary)).toThrow(`KAFKA_SSL_KEY_FILE: ${binary} is not PEM (no -----BEGIN line)`);
  });
});
