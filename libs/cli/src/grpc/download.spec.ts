import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChunkReader, type commonV1 } from '@flywheel/contracts';
import { NotDoneError } from '../errors';
import { downloadObject } from './download';

const BYTES = Buffer.from('entity,event_time,label\n'.repeat(1000));
const OBJECT: commonV1.ObjectRef = {
  key: 'training-sets/v/r1-abc/training-set.csv',
  sha256: createHash('sha256').update(BYTES).digest('hex'),
  sizeBytes: BYTES.length,
  contentType: 'text/csv',
};

/** A service answering pieces of `bytes` at most `size` long, as the Read… RPCs do. */
const serving =
  (bytes: Buffer, size: number, object = OBJECT): ChunkReader =>
  async (offset) => ({ object, offset, data: bytes.subarray(offset, offset + size) });

describe('downloading an object out of the platform', () => {
  let dir: string;
  const stderr: string[] = [];
  const io = { stdout: () => undefined, stderr: (t: string) => void stderr.push(t) };
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'flywheel-download-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('joins the pieces into the file, and answers the object it checked', async () => {
    const path = join(dir, 'train.csv');
    await expect(downloadObject(serving(BYTES, 1000), path, io)).resolves.toEqual(OBJECT);
    expect(readFileSync(path).equals(BYTES)).toBe(true);
    expect(existsSync(`${path}.partial`)).toBe(false);
  });

  it('writes nothing when the bytes do not hash to the recorded sha256', async () => {
    const path = join(dir, 'train.csv');
    const altered = Buffer.from(BYTES);
    altered[10] ^= 1;
    await expect(downloadObject(serving(altered, 4096), path, io)).rejects.toThrow(
      new NotDoneError(
        `${OBJECT.key}: the bytes read hash to ${createHash('sha256').update(altered).digest('hex')}, not the ${OBJECT.sha256} recorded; nothing was written`,
      ),
    );
    expect([existsSync(path), existsSync(`${path}.partial`)]).toEqual([false, false]);
  });

  it('refuses an object that ends early, changes midway, or answers from elsewhere', async () => {
    const path = join(dir, 'train.csv');
    await expect(downloadObject(serving(BYTES.subarray(0, 5000), 4096), path, io)).rejects.toThrow(
      `${OBJECT.key} ended after 5000 of its ${BYTES.length} bytes`,
    );
    let calls = 0;
    const changing: ChunkReader = async (offset) => ({
      object: calls++ === 0 ? OBJECT : { ...OBJECT, key: 'training-sets/v/r2-def/training-set.csv' },
      offset,
      data: BYTES.subarray(offset, offset + 4096),
    });
    await expect(downloadObject(changing, path, io)).rejects.toThrow('the object changed while it was read');
    const shifted: ChunkReader = async (offset) => ({ object: OBJECT, offset: offset + 1, data: BYTES.subarray(offset, offset + 4096) });
    await expect(downloadObject(shifted, path, io)).rejects.toThrow('asked for the bytes from 0, got them from 1');
    expect(existsSync(path)).toBe(false);
  });

  it('writes an empty object as an empty file', async () => {
    const path = join(dir, 'empty.csv');
    const empty = { ...OBJECT, sizeBytes: 0, sha256: createHash('sha256').digest('hex') };
    await downloadObject(serving(Buffer.alloc(0), 4096, empty), path, io);
    expect(readFileSync(path)).toHaveLength(0);
  });

  it('shows progress for a large object', async () => {
    const large = Buffer.alloc(10 * 1024 * 1024, 7);
    const object = { ...OBJECT, sizeBytes: large.length, sha256: createHash('sha256').update(large).digest('hex') };
    stderr.length = 0;
    await downloadObject(serving(large, 4 * 1024 * 1024, object), join(dir, 'large.bin'), io);
    expect(stderr).toEqual(['4.0 MiB of 10.0 MiB\n', '8.0 MiB of 10.0 MiB\n']);
  });
});
