import { type FormAction, ok, PAGE, type PageRoute } from '../page';
import { deploymentsView, rolloutView } from './deployments.view';

const MAX_REASON_CHARS = 500;

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
      return ok(rolloutView(await backend.deployer(token).getRolloutStatus({ deployment: name }), name, viewer, notice));
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
