import { type ingestionV1 } from '@flywheel/contracts';
import { type IngestionCalls } from '../../backend';
import { errorView } from '../../views/layout';
import { ok, PAGE, type PageContext, type PageRoute, readPart } from '../page';
import { type DatasetPageData, datasetsView, datasetView, type QuarantineQuery, versionView } from './datasets.view';

/** Quarantined records carry their raw text: a page of them stays readable at this size. */
const QUARANTINE_PAGE_SIZE = 50;

/**
 * Rows in total are the latest version's cumulative count, one call per dataset. A dataset
 * whose count cannot be read shows `-` rather than failing the whole list: the list already
 * proved the token and the service, and the count is the least important figure on it.
 */
async function totalRows(ingestion: IngestionCalls, datasets: readonly ingestionV1.Dataset[]): Promise<Map<string, number>> {
  const counted = await Promise.all(
    datasets
      .filter((d) => d.latestVersion > 0)
      .map(async (d): Promise<[string, number] | undefined> => {
        try {
          const { version } = await ingestion.getVersion({ dataset: d.name, version: d.latestVersion });
          return version ? [d.name, version.cumulativeRowCount] : undefined;
        } catch {
          return undefined;
        }
      }),
  );
  return new Map(counted.filter((c) => c !== undefined));
}

const emptyDataset = (name: string): ingestionV1.Dataset => ({
  name,
  description: '',
  contract: undefined,
  commitPolicy: undefined,
  ownerTeam: '',
  createTime: undefined,
  latestVersion: 0,
  ingestTopic: '',
});

function quarantineQuery(query: URLSearchParams): QuarantineQuery {
  return { includeReplayed: query.get('replayed') === '1', pageToken: query.get('quarantine-page') ?? '' };
}

async function datasetPage({ backend, token, query }: PageContext, name: string): Promise<DatasetPageData> {
  const ingestion = backend.ingestion(token);
  const quarantine = quarantineQuery(query);
  // The dataset itself is the page: its NOT_FOUND or refusal fails the page.
  const [{ dataset }, versions, quarantined, featureViews] = await Promise.all([
    ingestion.getDataset({ name }),
    readPart(async () => {
      const listed = await ingestion.listVersions({ dataset: name, page: PAGE });
      return { versions: listed.versions, more: Boolean(listed.page?.nextPageToken) };
    }),
    readPart(async () => {
      const listed = await ingestion.listQuarantine({
        dataset: name,
        page: { pageSize: QUARANTINE_PAGE_SIZE, pageToken: quarantine.pageToken },
        includeReplayed: quarantine.includeReplayed,
      });
      return { records: listed.records, nextPageToken: listed.page?.nextPageToken ?? '' };
    }),
    readPart(async () => {
      const listed = await backend.featureStore(token).listFeatureViews({ dataset: name, page: PAGE });
      // The service filters by dataset already; checked again so a view over another dataset never shows here.
      return listed.featureViews.filter((v) => v.dataset === name);
    }),
  ]);
  return {
    dataset: dataset ?? emptyDataset(name),
    versions,
    quarantine: quarantined,
    quarantineQuery: quarantine,
    featureViews,
  };
}

export const DATASET_PAGES: readonly PageRoute[] = [
  {
    pattern: /^\/datasets$/,
    title: 'Datasets',
    async render({ backend, token, viewer }) {
      const ingestion = backend.ingestion(token);
      const { datasets, unregisteredTopics } = await ingestion.listDatasets({ page: PAGE });
      return ok(datasetsView(datasets, await totalRows(ingestion, datasets), unregisteredTopics ?? [], viewer));
    },
  },
  {
    pattern: /^\/datasets\/([^/]+)$/,
    title: 'Dataset',
    render: async (context, [name]) => ok(datasetView(await datasetPage(context, name), context.viewer)),
  },
  {
    pattern: /^\/datasets\/([^/]+)\/versions\/([1-9]\d{0,8})$/,
    title: 'Dataset version',
    async render({ backend, token, viewer }, [name, version]) {
      const { version: found } = await backend.ingestion(token).getVersion({ dataset: name, version: Number(version) });
      if (!found) return { status: 404, body: errorView('Dataset version', `Not found: ${name} v${version}`, viewer) };
      return ok(versionView(name, found, viewer));
    },
  },
];
