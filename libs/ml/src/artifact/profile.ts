import { type DataProfile, type ProfileColumnInput, buildProfile } from '../profile';
import { type Table, getColumn } from '../table/table';

/** Profile of the model's features on its training rows: what the monitor later compares live traffic with. */
export function profileForArtifact(table: Table, features: readonly string[]): DataProfile {
  const columns = features.map((name): ProfileColumnInput => {
    const c = getColumn(table, name);
    return c.type === 'numeric'
      ? { name, type: 'numeric', values: c.values }
      : { name, type: 'categorical', values: { codes: c.codes, dictionary: c.dictionary } };
  });
  return buildProfile(columns);
}
