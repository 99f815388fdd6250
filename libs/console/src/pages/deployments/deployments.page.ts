import { type FormAction, ok, PAGE, type PageRoute, readPart } from '../page';
import { deploymentsView, rolloutView } from './deployments.view';

const MAX_REASON_CHARS = 500;
/** The changes shown on a deployment's page, newest first. */
export const CHANGES_SHOWN = 20;

export const DEPLOYMENT_PAGES: readonly PageRoute[] = [
  {
    pattern: /^\/deployments$/,
    title: 'Deployments',
    render: async ({ backend, token, viewer }) =>
      ok(deploymentsView((await backend.deployer(token).listDeployments({ page: PAGE })).deployments, viewer)),
  },
  {
    pattern: /^\/deployments\/([^/]+)$/,
    title: 'Deployment',
    async render({ backend, token, viewer, query }, [name]) {
      const rolledBack = Number(query.get('rolled-back-to'));
      const notice = Number.isInteger(rolledBack) && rolledBack > 0 ? `Rolled back: v${rolledBack} now serves.` : undefined;
      const deployer = backend.deployer(token);
      const [status, changes] = await Promise.all([
        deployer.getRolloutStatus({ deployment: name }),
        // A deployer that cannot list them leaves a note; the rest of the page still renders.
        readPart(() =>
          deployer.listDeploymentChanges({ deployment: name, modelName: '', page: { pageSize: CHANGES_SHOWN, pageToken: '' } }),
        ),
      ]);
      return ok(rolloutView(status, name, viewer, notice, 'value' in changes ? { value: changes.value.changes } : changes));
    },
  },
];

export const DEPLOYMENT_ACTIONS: readonly FormAction[] = [
  {
    pattern: /^\/deployments\/([^/]+)\/rollback$/,
    title: 'Roll back',
    async submit({ backend, token }, [name], form) {
      const reason = (form.get('reason') ?? '').trim().slice(0, MAX_REASON_CHARS) || 'rolled back from the console';
      const { deployment } = await backend.deployer(token).rollback({ deployment: name, toVersion: 0, reason });
      const serving = deployment?.stableVersion ?? 0;
      return { redirect: `/deployments/${encodeURIComponent(name)}?rolled-back-to=${serving}` };
    },
  },
];
