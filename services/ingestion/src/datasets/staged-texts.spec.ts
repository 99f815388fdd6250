import { ownsItsMemory, StagedTexts } from './staged-texts';

describe('StagedTexts', () => {
  it('gives each kept text back once, in memory of its own', () => {
    const texts = new StagedTexts(1024);
    const grown = Buffer.alloc(100, 0x61);
    texts.keep('1', grown.subarray(0, 10));
    texts.keep('2', Buffer.from('[{"a":1}]'));
    const taken = texts.take(['1', '3', '2']);
    expect([...taken.keys()]).toEqual(['1', '2']);
    expect(taken.get('1')!.toString()).toBe('a'.repeat(10));
    expect(ownsItsMemory(taken.get('1')!)).toBe(true);
    expect(ownsItsMemory(taken.get('2')!)).toBe(true);
    expect(texts.take(['1', '2']).size).toBe(0);
    expect(texts.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('stays under its bound, dropping the oldest first, and keeps nothing larger than the bound', () => {
    const texts = new StagedTexts(25);
    for (const id of ['1', '2', '3']) texts.keep(id, Buffer.alloc(10, id));
    expect(texts.size).toEqual({ entries: 2, bytes: 20 });
    expect([...texts.take(['1', '2', '3']).keys()]).toEqual(['2', '3']);
    texts.keep('4', Buffer.alloc(26));
    expect(texts.size.entries).toBe(0);
  });
});
