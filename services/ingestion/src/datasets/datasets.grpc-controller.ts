import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { DATASET_NAME_PATTERN, ingestionV1 } from '@flywheel/contracts';
import { currentCaller, invalidArgument } from '@flywheel/platform';
import { concatMap, from, type Observable, toArray } from 'rxjs';
import { DatasetsService, type IncomingRecord } from './datasets.service';
import { IngestTopicConsumers } from './ingest-topic-consumers';

const MAX_REJECTIONS = 100;
const BATCH_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

function datasetName(value: string | undefined, field = 'dataset'): string {
  if (!value) throw invalidArgument(field, 'is required');
  if (!DATASET_NAME_PATTERN.test(value)) throw invalidArgument(field, `must match ${DATASET_NAME_PATTERN.source}`);
  return value;
}

function batchId(value: string | undefined): string {
  if (value && !BATCH_ID_PATTERN.test(value)) throw invalidArgument('batch_id', `must match ${BATCH_ID_PATTERN.source}`);
  return value ?? '';
}

function records(rows: readonly ingestionV1.IngestRequest['rows'][number][] | undefined, origin: string, firstIndex: number): IncomingRecord[] {
  return (rows ?? []).map((row, i) => ({ origin: `grpc:${origin}/${firstIndex + i}`, index: firstIndex + i, incoming: { kind: 'row', row } }));
}

@Controller()
@ingestionV1.IngestionServiceControllerMethods()
export class DatasetsGrpcController implements ingestionV1.IngestionServiceController {
  constructor(
    @Inject(DatasetsService) private readonly datasets: DatasetsService,
    @Inject(IngestTopicConsumers) private readonly consumers: IngestTopicConsumers,
  ) {}

  async registerDataset(request: ingestionV1.RegisterDatasetRequest): Promise<ingestionV1.RegisterDatasetResponse> {
    const response = await this.datasets.register(request, currentCaller());
    // Also on a repeated registration: it retries a topic creation that failed the first time.
    await this.consumers.ensure(response.dataset!.name);
    return response;
  }

  async getDataset(request: ingestionV1.GetDatasetRequest): Promise<ingestionV1.GetDatasetResponse> {
    return { dataset: await this.datasets.get(datasetName(request.name, 'name')) };
  }

  listDatasets(request: ingestionV1.ListDatasetsRequest): Promise<ingestionV1.ListDatasetsResponse> {
    return this.datasets.list(request.page);
  }

  async ingest(request: ingestionV1.IngestRequest): Promise<ingestionV1.IngestResponse> {
    const dataset = datasetName(request.dataset);
    const id = batchId(request.batchId);
    const summary = await this.datasets.ingestBatch(dataset, records(request.rows, id || randomUUID(), 0), { batchId: id, commitNow: request.commitNow });
    return { summary };
  }

  /**
   * Each chunk is applied in its own transaction as it arrives (memory stays bounded by one
   * chunk); with a batch id, chunk n is deduplicated as `<batch_id>#n`, so a retried stream
   * has no second effect.
   */
  ingestStream(requests: Observable<ingestionV1.IngestStreamRequest>): Observable<ingestionV1.IngestStreamResponse> {
    let dataset: string | undefined;
    let id = '';
    let origin = '';
    let next = 0;
    let chunk = 0;
    let commitNow = false;
    const total: ingestionV1.IngestSummary = { accepted: 0, quarantined: 0, duplicates: 0, rejections: [], committedVersion: undefined };
    return requests.pipe(
      concatMap((request) =>
        from(
          (async () => {
            if (dataset === undefined) {
              dataset = datasetName(request.dataset);
              id = batchId(request.batchId);
              origin = id || randomUUID();
            } else if (request.dataset && request.dataset !== dataset) {
              throw invalidArgument('dataset', `must stay "${dataset}" for the whole stream, got "${request.dataset}"`);
            }
            commitNow = request.commitNow;
            const batch = records(request.rows, origin, next);
            next += batch.length;
            const summary = await this.datasets.ingestBatch(dataset, batch, { batchId: id ? `${id}#${chunk}` : '', commitNow: false });
            chunk++;
            total.accepted += summary.accepted;
            total.quarantined += summary.quarantined;
            total.duplicates += summary.duplicates;
            total.rejections.push(...summary.rejections.slice(0, MAX_REJECTIONS - total.rejections.length));
            total.committedVersion = summary.committedVersion ?? total.committedVersion;
          })(),
        ),
      ),
      toArray(),
      concatMap(() =>
        from(
          (async () => {
            if (dataset === undefined) throw invalidArgument('dataset', 'is required (the stream sent no chunk)');
            if (commitNow) total.committedVersion = (await this.datasets.commitNow(dataset)) ?? total.committedVersion;
            return { summary: total };
          })(),
        ),
      ),
    );
  }

  listVersions(request: ingestionV1.ListVersionsRequest): Promise<ingestionV1.ListVersionsResponse> {
    return this.datasets.listVersions(datasetName(request.dataset), request.page);
  }

  async getVersion(request: ingestionV1.GetVersionRequest): Promise<ingestionV1.GetVersionResponse> {
    if (!Number.isInteger(request.version) || request.version < 0) throw invalidArgument('version', 'must be 0 (latest) or a version number');
    return { version: await this.datasets.getVersion(datasetName(request.dataset), request.version) };
  }

  listQuarantine(request: ingestionV1.ListQuarantineRequest): Promise<ingestionV1.ListQuarantineResponse> {
    return this.datasets.listQuarantine(datasetName(request.dataset), request.page);
  }
}
