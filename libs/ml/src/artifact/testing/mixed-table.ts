import { Rng } from '../../random/rng';
import { type Table, categoricalColumn, makeTable, numericColumn } from '../../table/table';

/** A mixed table: two numeric features (one with gaps), a categorical one, a binary and a 3-class label and a numeric target. */
export function mixedTable(n: number, seed: number): Table {
  const rng = new Rng(seed);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const colour: (string | null)[] = [];
  const yes: string[] = [];
  const kind: string[] = [];
  const amount = new Float64Array(n);
  const colours = ['red', 'green', 'blue'];
  for (let i = 0; i < n; i++) {
    a[i] = rng.normal();
    b[i] = rng.next() < 0.1 ? Number.NaN : rng.normal() * 3 + 1;
    const c = colours[rng.nextInt(3)];
    colour.push(rng.next() < 0.05 ? null : c);
    const z = 1.5 * a[i] + (c === 'red' ? 1 : -0.5) + (Number.isNaN(b[i]) ? 0 : 0.3 * b[i]);
    yes.push(rng.next() < 1 / (1 + Math.exp(-z)) ? 'yes' : 'no');
    kind.push(z > 1 ? 'high' : z > -0.5 ? 'mid' : 'low');
    amount[i] = 2 * a[i] + (c === 'green' ? 3 : 0) + rng.normal() * 0.1;
  }
  return makeTable([
    numericColumn('a', a),
    numericColumn('b', b),
    categoricalColumn('colour', colour),
    categoricalColumn('yes', yes),
    categoricalColumn('kind', kind),
    numericColumn('amount', amount),
  ]);
}
