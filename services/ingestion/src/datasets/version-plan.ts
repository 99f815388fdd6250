/** A staged batch as the plan sees it: its id (arrival order) and how many records it holds. */
export interface StagedBatchRef {
  readonly id: string;
  readonly rowCount: number;
}

export interface PlannedVersion {
  /** The batches it draws from, in order. */
  readonly batchIds: readonly string[];
  /** Records of the first batch that an earlier version of the plan took. */
  readonly skip: number;
  readonly rows: number;
}

export interface VersionPlan {
  readonly versions: readonly PlannedVersion[];
  /** Batches whose records all go into the planned versions: they are removed. */
  readonly consumed: readonly string[];
  /** The batch the last version ends inside: its records past that stay staged. */
  readonly split: string | null;
  /** Records of the split batch the plan takes (its first ones); 0 without a split. */
  readonly splitTaken: number;
  /** Staged records the plan leaves for later. */
  readonly left: number;
}

/**
 * The next versions to cut from staged batches (oldest first): up to `maxVersions` of
 * `maxRows` records each, the last one shorter unless `onlyFull`. A batch may be shared by two
 * versions, or end up split between the last one and what stays staged.
 */
export function planVersions(
  batches: readonly StagedBatchRef[],
  options: { maxRows: number; maxVersions: number; onlyFull: boolean },
): VersionPlan {
  const { maxRows, maxVersions, onlyFull } = options;
  const total = batches.reduce((sum, b) => sum + b.rowCount, 0);
  const versions: PlannedVersion[] = [];
  // The cursor: the batch being read and how many of its records are taken.
  let at = 0;
  let offset = 0;
  let planned = 0;
  while (versions.length < maxVersions) {
    const start = { at, offset };
    const batchIds: string[] = [];
    let rows = 0;
    while (rows < maxRows && at < batches.length) {
      const batch = batches[at]!;
      const take = Math.min(batch.rowCount - offset, maxRows - rows);
      if (take > 0) {
        batchIds.push(batch.id);
        rows += take;
        offset += take;
      }
      if (offset >= batch.rowCount) {
        at++;
        offset = 0;
      }
    }
    if (rows === 0 || (onlyFull && rows < maxRows)) {
      ({ at, offset } = start);
      break;
    }
    versions.push({ batchIds, skip: start.offset, rows });
    planned += rows;
    if (rows < maxRows) break;
  }
  return {
    versions,
    consumed: batches.slice(0, at).map((b) => b.id),
    split: offset > 0 ? batches[at]!.id : null,
    splitTaken: offset,
    left: total - planned,
  };
}
