import { table } from './table';

describe('table', () => {
  it('right-aligns numeric columns and left-aligns text, under a rule', () => {
    const text = table(
      ['scenario', 'rows/s', 'ratio', 'note'],
      [
        ['ours', '1,234,567', '0.50', 'fast'],
        ['theirs', '12', '-', 'x'],
        ['both', 3.5, '2.0e-7', ''],
      ],
    );
    expect(text.split('\n')).toEqual([
      'scenario     rows/s   ratio  note',
      '--------  ---------  ------  ----',
      'ours      1,234,567    0.50  fast',
      'theirs           12       -  x',
      'both            3.5  2.0e-7',
    ]);
  });

  it('treats a column of placeholders only as text', () => {
    expect(table(['a', 'b'], [['x', '-']]).split('\n')[2]).toBe('x  -');
  });

  it('rejects a row of the wrong width', () => {
    expect(() => table(['a', 'b'], [['x']])).toThrow('table row has 1 cells, but there are 2 headers');
  });
});
