import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { KUSTOMIZE_BASE, KUSTOMIZE_PRODUCTION, type KubeObject, renderKustomization } from './kustomize-environment';

/**
 * kubectl's own kustomize must render exactly what the deployment checks read (generated names
 * compared without their content hash). jest.config.js leaves this file out, loudly, on a
 * machine without kubectl.
 */
describe('kubectl kustomize', () => {
  const unhash = (text: string) => text.replace(/flywheel-config-[a-z0-9]{10}\b/g, 'flywheel-config');
  const key = (object: KubeObject) => `${object.kind}/${object.metadata.name}`;

  it.each(Object.entries({ base: KUSTOMIZE_BASE, production: KUSTOMIZE_PRODUCTION }))(
    'renders %s exactly as the checks do',
    (_name, dir) => {
      const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
      expect(run.stderr).toBe('');
      const theirs = parseAllDocuments(unhash(run.stdout)).map((document) => document.toJS() as KubeObject);
      const ours = renderKustomization(dir);
      expect(new Map(theirs.map((object) => [key(object), object]))).toEqual(new Map(ours.map((object) => [key(object), object])));
    },
  );
});
