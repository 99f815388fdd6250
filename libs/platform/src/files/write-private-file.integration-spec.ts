import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePrivateFile } from './write-private-file';

describe('writePrivateFile', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flywheel-private-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a file 0600 whatever the umask, replacing what was there, and leaves nothing beside it', () => {
    const file = join(dir, 'secrets.json');
    const umask = process.umask(0o000);
    try {
      writeFileSync(file, 'old', { mode: 0o666 });
      writePrivateFile(file, 'new');
    } finally {
      process.umask(umask);
    }
    expect([readFileSync(file, 'utf8'), (statSync(file).mode & 0o777).toString(8)]).toEqual(['new', '600']);
    expect(readdirSync(dir)).toEqual(['secrets.json']);
  });
});
