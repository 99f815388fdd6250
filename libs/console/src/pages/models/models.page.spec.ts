import { status } from '@grpc/grpc-js';
import { type DeployerCalls, type RegistryCalls } from '../../backend';
import { ConsoleTestKit, fakeCalls, grpcError, type SignedIn } from '../../testing/console-test-kit';
import * as fx from '../loop/loop-story.fixture';

const TOKEN = 'fw_models_reader';
let lineageFails: Error | undefined;
let deployerFails: Error | undefined;
const lineageAsked: Array<{ modelName: string; version: number }> = [];

const registry = (token: string): RegistryCalls =>
  fakeCalls<RegistryCalls>('registry', {
    async listModels() {
      if (token !== TOKEN) throw grpcError(status.UNAUTHENTICATED, 'unknown API token');
      return { models: [fx.model], page: undefined };
    },
    getModel: async () => ({ model: fx.model }),
    listModelVersions: async () => ({ versions: fx.modelVersions, page: undefined }),
    listAuditLog: async () => ({ entries: fx.auditLog, page: undefined }),
    async getLineage({ modelName, version }) {
      lineageAsked.push({ modelName, version });
      if (lineageFails) throw lineageFails;
      const v = fx.modelVersions.find((m) => m.version === version)!;
      return { version: v, lineage: { ...v.lineage!, featureView: `claims_features${fx.HOSTILE}` }, history: [] };
    },
  });

const deployer = (): DeployerCalls =>
  fakeCalls<DeployerCalls>('deployer', {
    async listDeployments() {
      if (deployerFails) throw deployerFails;
      return { deployments: fx.deployments, page: undefined };
    },
  });

describe('the model page’s lineage graph', () => {
  let kit: ConsoleTestKit;
  let reader: SignedIn;

  beforeAll(async () => {
    kit = await ConsoleTestKit.start({ registry, deployer });
    reader = await kit.signIn(TOKEN);
  });
  afterAll(() => kit.close());
  beforeEach(() => {
    lineageFails = undefined;
    deployerFails = undefined;
    lineageAsked.splice(0);
  });

  it('draws the champion’s dataset, feature view, run, version and deployment as an SVG graph, with links under it', async () => {
    const res = await reader.get('/models/fraud');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(lineageAsked).toEqual([{ modelName: 'fraud', version: 2 }]);
    expect(page).toContain('<h2>Lineage of production (v2)</h2>');
    const svg = /<figure id="lineage">(<svg[\s\S]*?<\/svg>)<\/figure>/.exec(page)?.[1];
    expect(svg).toBeDefined();
    for (const text of [
      'claims',
      'v1–v5',
      'claims_features&lt;img src=x onerror=alert(1)&gt;',
      'r1',
      'run-2222',
      'fraud v2',
      'fraud-api',
      'canary',
    ]) {
      expect([text, svg]).toEqual([text, expect.stringContaining(`>${text}</text>`)]);
    }
    expect(svg).not.toContain('other-api');
    expect(page).not.toContain('<img src=x');
    const links = /<ul id="lineage-links">[\s\S]*?<\/ul>/.exec(page)?.[0];
    expect(links).toContain('dataset: <a href="/datasets/claims">claims v1–v5</a>');
    expect(links).toContain('run: <a href="/runs/run-2222-second">run-2222</a>');
    expect(links).toContain('deployment: <a href="/deployments/fraud-api">fraud-api canary</a>');
    // The rest of the page is unchanged.
    expect(page).toContain('id="versions"');
    expect(page).toContain('id="audit"');
  });

  it('shows the page without the graph, saying why, when the registry cannot give the lineage', async () => {
    lineageFails = grpcError(status.UNAVAILABLE, 'registry restarting');
    const res = await reader.get('/models/fraud');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).not.toContain('<figure id="lineage">');
    expect(page).toContain('Lineage incomplete: registry GetLineage: The service is unavailable: registry restarting');
    expect(page).toContain('id="versions"');
  });

  it('draws the graph without deployments when the deployer refuses', async () => {
    deployerFails = grpcError(status.PERMISSION_DENIED, 'team may not read deployments');
    const page = await (await reader.get('/models/fraud')).text();
    const svg = /<figure id="lineage">(<svg[\s\S]*?<\/svg>)<\/figure>/.exec(page)?.[1];
    expect(svg).toContain('>fraud v2</text>');
    expect(svg).not.toContain('fraud-api');
    expect(page).toContain('Lineage incomplete: deployer ListDeployments: Permission denied: team may not read deployments');
  });
});
