/** Texts kept in memory at most (about 300,000 records of 200 bytes). */
export const STAGED_TEXTS_MAX_BYTES = 64 * 1024 * 1024;

/** A copy of `bytes` in memory of its own, so that it can move to another thread alone. */
export function ownedCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

/** Whether `bytes` spans all of its memory (moving it to another thread takes nothing else along). */
export function ownsItsMemory(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

/**
 * The texts of the batches this process staged, kept once their transaction has committed, so
 * that the cut that removes them later need not read megabytes back from PostgreSQL. Only a
 * cache: a batch not here (staged by another replica or before a restart, or evicted) is read
 * from the table; batch ids are never reused (bigserial), so an entry is its batch's text or
 * nothing. Bounded by `maxBytes`, oldest entries out first — which is also how an entry goes
 * whose batch a cut removed before the entry was kept.
 */
export class StagedTexts {
  /** By batch id, with the size counted when kept (a text that moved to a thread reads as empty). */
  private readonly texts = new Map<string, { readonly text: Buffer; readonly size: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes = STAGED_TEXTS_MAX_BYTES) {}

  keep(id: string, text: Buffer): void {
    if (text.byteLength > this.maxBytes) return;
    const owned = ownsItsMemory(text) ? text : ownedCopy(text);
    this.forget(id);
    this.texts.set(id, { text: owned, size: owned.byteLength });
    this.bytes += owned.byteLength;
    for (const oldest of this.texts.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.forget(oldest);
    }
  }

  /** Removes and returns the texts of those of `ids` that are here. */
  take(ids: Iterable<string>): Map<string, Buffer> {
    const taken = new Map<string, Buffer>();
    for (const id of ids) {
      const kept = this.texts.get(id);
      if (kept === undefined) continue;
      taken.set(id, kept.text);
      this.forget(id);
    }
    return taken;
  }

  forget(id: string): void {
    const kept = this.texts.get(id);
    if (kept === undefined) return;
    this.texts.delete(id);
    this.bytes -= kept.size;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.texts.size, bytes: this.bytes };
  }
}
