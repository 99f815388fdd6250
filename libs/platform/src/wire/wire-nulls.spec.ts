import { withoutWireNulls } from './wire-nulls';

describe('withoutWireNulls', () => {
  it('removes nulls at every depth, in objects, arrays and maps', () => {
    const message = {
      name: 'claims',
      page: null,
      model: { version: null, tags: { team: 'fraud' }, metrics: [{ name: 'auc', value: 0.9, detail: null }] },
      rows: { a: { values: { x: { numberValue: 1, stringValue: null } } } },
    };
    expect(withoutWireNulls(message)).toEqual({
      name: 'claims',
      model: { tags: { team: 'fraud' }, metrics: [{ name: 'auc', value: 0.9 }] },
      rows: { a: { values: { x: { numberValue: 1 } } } },
    });
    expect('page' in message).toBe(false);
  });

  it('keeps bytes, timestamps and defaults (0, "", false) as they are', () => {
    const bytes = Buffer.from([0, 1, 2]);
    const time = new Date('2026-01-01T00:00:00Z');
    const message = { bytes, time, count: 0, text: '', flag: false };
    expect(withoutWireNulls(message)).toEqual({ bytes, time, count: 0, text: '', flag: false });
    expect(message.bytes).toBe(bytes);
  });

  it('walks a deeply nested message without overflowing the stack', () => {
    let nested: Record<string, unknown> = { leaf: null };
    for (let depth = 0; depth < 200_000; depth += 1) nested = { child: nested, gap: null };
    withoutWireNulls(nested);
    let node = nested;
    let depth = 0;
    while (node.child) {
      expect('gap' in node).toBe(false);
      node = node.child as Record<string, unknown>;
      depth += 1;
    }
    expect(depth).toBe(200_000);
    expect(node).toEqual({});
  });
});
