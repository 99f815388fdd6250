import { type EntityManager } from 'typeorm';
import { queryRows, rowsOf } from './query-rows';

describe('rowsOf', () => {
  it('unwraps the [rows, affected] pair of UPDATE … RETURNING', () => {
    expect(rowsOf([[{ id: 1 }, { id: 2 }], 2])).toEqual([{ id: 1 }, { id: 2 }]);
    expect(rowsOf([[], 0])).toEqual([]);
  });

  it('passes SELECT rows through, including a two-row result whose second row is an object', () => {
    expect(rowsOf([{ id: 1 }, { id: 2 }])).toEqual([{ id: 1 }, { id: 2 }]);
    expect(rowsOf([])).toEqual([]);
  });

  it('reads rows through the manager with the parameters given', async () => {
    const calls: unknown[][] = [];
    const manager = { query: async (...args: unknown[]) => (calls.push(args), [[{ n: 1 }], 1]) } as unknown as EntityManager;
    await expect(queryRows(manager, 'UPDATE t SET n = $1 RETURNING n', [1])).resolves.toEqual([{ n: 1 }]);
    expect(calls).toEqual([['UPDATE t SET n = $1 RETURNING n', [1]]]);
  });
});
