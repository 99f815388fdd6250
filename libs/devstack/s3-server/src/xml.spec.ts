import { parseXml, xmlDocument } from './xml';

describe('xml', () => {
  it('round-trips escaped text and repeated elements', () => {
    const text = xmlDocument('Delete', { Object: [{ Key: 'a&b<c>"d\'' }, { Key: 'é' }] });
    const root = parseXml(text);
    expect(root.name).toBe('Delete');
    expect(root.children.map((c) => c.children[0]!.text)).toEqual(['a&b<c>"d\'', 'é']);
  });

  it('refuses document type declarations and broken nesting', () => {
    expect(() => parseXml('<!DOCTYPE a><a/>')).toThrow(/document type/);
    expect(() => parseXml('<a><b></a></b>')).toThrow();
    expect(() => parseXml('<a>')).toThrow();
  });
});
