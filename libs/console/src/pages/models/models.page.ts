import { ok, PAGE, type PageRoute } from '../page';
import { modelsView, modelView } from './models.view';

export const MODEL_PAGES: readonly PageRoute[] = [
  {
    pattern: /^\/models$/,
    title: 'Models',
    render: async ({ backend, token, viewer }) => ok(modelsView((await backend.registry(token).listModels({ page: PAGE })).models, viewer)),
  },
  {
    pattern: /^\/models\/([^/]+)$/,
    title: 'Model',
    async render({ backend, token, viewer }, [name]) {
      const registry = backend.registry(token);
      const [model, versions, audit] = await Promise.all([
        registry.getModel({ name }),
        registry.listModelVersions({ modelName: name, page: PAGE }),
        registry.listAuditLog({ modelName: name, action: 0, page: PAGE }),
      ]);
      return ok(
        modelView(
          model.model ?? { name, description: '', tags: {}, ownerTeam: '', createTime: undefined, aliases: {}, latestVersion: 0 },
          versions.versions,
          audit.entries,
          viewer,
        ),
      );
    },
  },
];
