import { commonV1 } from '@flywheel/contracts';
import { type ColumnRule, type Contract, contractLimits } from './dataset-contract';

const typeName = (type: commonV1.ColumnType) => commonV1.ColumnType[type] ?? String(type);

/**
 * Why `next` cannot replace `current` as a dataset's contract, one problem per field (named as
 * the proto names it); empty when it can. Every record committed or accepted under `current`
 * must still satisfy `next`, so that versions already committed stay valid and their readers
 * (feature views, training sets) see the same columns with the same types: a contract may only
 * be relaxed.
 */
export function contractChangeProblems(current: Contract, next: Contract): string[] {
  const problems: string[] = [];
  current.columns.forEach((was, i) => {
    const now = next.columns[i];
    const at = `contract.columns[${i}]`;
    if (now === undefined || now.name !== was.name) {
      const moved = next.columns.findIndex((c) => c.name === was.name);
      problems.push(
        moved < 0
          ? `${at}: column "${was.name}" cannot be removed: committed versions hold it`
          : `${at}: column "${was.name}" cannot move (to position ${moved}): columns keep their order`,
      );
      return;
    }
    problems.push(...columnProblems(was, now, at));
  });
  next.columns.slice(current.columns.length).forEach((added, k) => {
    if (added.required)
      problems.push(
        `contract.columns[${current.columns.length + k}].required: new column "${added.name}" must be optional: committed versions have no value for it`,
      );
  });
  if (current.uniqueKey.join(',') !== next.uniqueKey.join(','))
    problems.push(`contract.unique_key: cannot change (is [${current.uniqueKey.join(', ')}]): accepted records are deduplicated by it`);
  if (current.eventTimeColumn !== next.eventTimeColumn)
    problems.push(`contract.event_time_column: cannot change (is "${current.eventTimeColumn}"): versions record its range`);
  const was = contractLimits(current);
  const now = contractLimits(next);
  if (now.maxRecordBytes < was.maxRecordBytes)
    problems.push(`contract.max_record_bytes: can only grow (is ${was.maxRecordBytes}): accepted records may be that large`);
  if (now.maxValueBytes < was.maxValueBytes)
    problems.push(`contract.max_value_bytes: can only grow (is ${was.maxValueBytes}): accepted values may be that large`);
  return problems;
}

function columnProblems(was: ColumnRule, now: ColumnRule, at: string): string[] {
  const problems: string[] = [];
  if (now.type !== was.type)
    problems.push(`${at}.type: column "${was.name}" cannot change type (is ${typeName(was.type)}): committed versions hold its values`);
  if (now.required && !was.required)
    problems.push(`${at}.required: column "${was.name}" cannot become required: committed records may lack it`);
  if (now.min !== null && (was.min === null || now.min > was.min))
    problems.push(`${at}.min: can only be lowered or removed (is ${was.min ?? 'unset'})`);
  if (now.max !== null && (was.max === null || now.max < was.max))
    problems.push(`${at}.max: can only be raised or removed (is ${was.max ?? 'unset'})`);
  if (now.allowedValues.length > 0) {
    if (was.allowedValues.length === 0) problems.push(`${at}.allowed_values: column "${was.name}" allows any value and cannot be narrowed`);
    else {
      const kept = new Set(now.allowedValues);
      const dropped = was.allowedValues.filter((v) => !kept.has(v));
      if (dropped.length > 0)
        problems.push(
          `${at}.allowed_values: ${dropped.map((v) => JSON.stringify(v)).join(', ')} cannot be taken away: accepted records hold them`,
        );
    }
  }
  return problems;
}
