import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './storage/fs-util';

/** Ids handed out between two writes of the high-water mark; a crash skips at most this many. */
const BLOCK = 1000;

/**
 * Hands out idempotent-producer ids that are never reused, across restarts and `kill -9`:
 * the file records the end of the block in use before any id from it is given out.
 */
export class ProducerIdAllocator {
  private constructor(
    private readonly file: string,
    private next: number,
    private reservedUntil: number,
  ) {}

  static open(file: string): ProducerIdAllocator {
    let reserved = 0;
    try {
      reserved = Number.parseInt(readFileSync(file, 'utf8').trim(), 10) || 0;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return new ProducerIdAllocator(file, reserved, reserved);
  }

  allocate(): number {
    if (this.next >= this.reservedUntil) {
      this.reservedUntil = this.next + BLOCK;
      writeFileAtomic(this.file, String(this.reservedUntil), true);
    }
    return this.next++;
  }
}
