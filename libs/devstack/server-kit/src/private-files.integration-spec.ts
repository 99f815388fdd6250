import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTreePrivate } from './private-files';

describe('private files', () => {
  let dir: string;
  const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flywheel-private-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes group and other bits off a tree an older version left open, and follows no link out of it', () => {
    const outside = join(dir, 'outside.txt');
    writeFileSync(outside, 'not ours');
    chmodSync(outside, 0o644);
    const root = join(dir, 'data');
    mkdirSync(join(root, 's3', 'objects'), { recursive: true, mode: 0o755 });
    chmodSync(root, 0o755);
    writeFileSync(join(root, 's3', 'objects', 'model.data'), '{}', { mode: 0o644 });
    writeFileSync(join(root, 'already-private'), '', { mode: 0o600 });
    symlinkSync(outside, join(root, 'link'));

    expect(makeTreePrivate(root)).toBe(4);
    expect([
      mode(root),
      mode(join(root, 's3')),
      mode(join(root, 's3', 'objects')),
      mode(join(root, 's3', 'objects', 'model.data')),
    ]).toEqual(['700', '700', '700', '600']);
    expect(mode(outside)).toBe('644');
    expect(makeTreePrivate(root)).toBe(0);
  });
});
