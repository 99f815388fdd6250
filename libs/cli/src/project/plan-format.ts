import { type Action, type ProjectPlan } from './project-plan';

const MARKS: Record<Action, string> = { create: '+', change: '~', unchanged: '=', refused: '!' };

/** A plan for people, as `terraform plan` reads: one line per object to touch, its fields beneath, a count at the end. */
export function formatPlan(plan: ProjectPlan): string {
  const lines: string[] = [];
  for (const o of plan.objects) {
    if (o.action === 'unchanged') continue;
    lines.push(`${MARKS[o.action]} ${o.action === 'refused' ? 'refused' : o.action} ${o.kind} ${o.name}  (${o.source})`);
    for (const c of o.changes) {
      if (o.action === 'create') lines.push(`    ${c.field}: ${c.to}`);
      else lines.push(`    ${c.field}: ${c.from ?? '(unset)'} → ${c.to ?? '(unset)'}`);
    }
    if (o.reason) lines.push(`    ${o.reason}`);
  }
  for (const problem of plan.problems) lines.push(`! ${problem}`);
  const count = (action: Action) => plan.objects.filter((o) => o.action === action).length;
  const [create, change, unchanged, refused] = (['create', 'change', 'unchanged', 'refused'] as const).map(count);
  if (create + change + refused + plan.problems.length === 0)
    lines.push(`No changes: the platform matches the project (${unchanged} objects).`);
  else
    lines.push(
      `Plan: ${create} to create, ${change} to change, ${unchanged} unchanged` +
        (refused > 0 ? `, ${refused} refused` : '') +
        (plan.problems.length > 0 ? `, ${plan.problems.length} broken references` : '') +
        '.',
    );
  return `${lines.join('\n')}\n`;
}

/** The plan as data (`--json`): every object, unchanged ones too. */
export const planJson = (plan: ProjectPlan) => ({
  objects: plan.objects.map(({ kind, name, source, action, changes, reason }) => ({ kind, name, source, action, changes, reason })),
  problems: plan.problems,
});
