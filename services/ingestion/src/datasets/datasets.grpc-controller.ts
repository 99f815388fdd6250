import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { ingestionV1 } from '@flywheel/contracts';
import { currentCaller, InjectConfig, isPositiveIntegerCursor, isStringCursor, parseRequest, readPage } from '@flywheel/platform';
import { concatMap, from, type Observable, toArray } from 'rxjs';
import { type IngestionConfig } from '../ingestion.config';
import { type CommitDefaults, parseRegistration } from './dataset-contract';
import { datasetToProto, quarantineToProto, unregisteredTopicToProto, versionToProto } from './datasets.mapper';
import {
  datasetRequest,
  getDatasetRequest,
  getVersionRequest,
  ingestRequest,
  replayQuarantineRequest,
  streamChunkRequest,
  streamEndRequest,
} from './datasets.requests';
import { DatasetsService } from './datasets.service';
import { IngestTopicConsumers } from './ingest-topic-consumers';
import { packedRowsOf } from './ingest-request-decoder';

const MAX_REJECTIONS = 100;

@Controller()
@ingestionV1.IngestionServiceControllerMethods()
export class DatasetsGrpcController implements ingestionV1.IngestionServiceController {
  private readonly defaults: CommitDefaults;
  private readonly sampleBytes: number;

  constructor(
    @Inject(DatasetsService) private readonly datasets: DatasetsService,
    @Inject(IngestTopicConsumers) private readonly consumers: IngestTopicConsumers,
    @InjectConfig() config: IngestionConfig,
  ) {
    this.defaults = { maxRows: config.INGEST_DEFAULT_MAX_ROWS, maxIntervalMs: config.INGEST_DEFAULT_MAX_INTERVAL_MS };
    this.sampleBytes = config.INGEST_QUARANTINE_SAMPLE_BYTES;
  }

  async registerDataset(request: ingestionV1.RegisterDatasetRequest): Promise<ingestionV1.RegisterDatasetResponse> {
    const { dataset, created } = await this.datasets.register(parseRegistration(request, this.defaults), currentCaller());
    // Also on a repeated registration: it retries a topic creation that failed the first time.
    await this.consumers.ensure(dataset.name);
    return { dataset: datasetToProto(dataset), created };
  }

  async updateDataset(request: ingestionV1.UpdateDatasetRequest): Promise<ingestionV1.UpdateDatasetResponse> {
    const definition = parseRegistration(request, this.defaults);
    const { dataset, changed } = await this.datasets.update(definition, currentCaller(), { validateOnly: request.validateOnly });
    return { dataset: datasetToProto(dataset), changed };
  }

  async replayQuarantine(request: ingestionV1.ReplayQuarantineRequest): Promise<ingestionV1.ReplayQuarantineResponse> {
    const { dataset, request: replay } = parseRequest(replayQuarantineRequest, request);
    const { committed, ...result } = await this.datasets.replayQuarantine(dataset, replay);
    return { ...result, committedVersion: committed && versionToProto(committed) };
  }

  async getDataset(request: ingestionV1.GetDatasetRequest): Promise<ingestionV1.GetDatasetResponse> {
    const { name } = parseRequest(getDatasetRequest, request);
    return { dataset: datasetToProto(await this.datasets.get(name)) };
  }

  async listDatasets(request: ingestionV1.ListDatasetsRequest): Promise<ingestionV1.ListDatasetsResponse> {
    const wanted = readPage(request.page, isStringCursor);
    const { items, page } = await this.datasets.list(wanted);
    const unregistered = wanted.after === undefined ? await this.datasets.listUnregisteredTopics() : [];
    return { datasets: items.map(datasetToProto), page, unregisteredTopics: unregistered.map(unregisteredTopicToProto) };
  }

  async ingest(request: ingestionV1.IngestRequest): Promise<ingestionV1.IngestResponse> {
    const { dataset, batchId } = parseRequest(ingestRequest, request);
    const batch = { rows: packedRowsOf(request), batch: batchId || randomUUID(), firstIndex: 0 };
    const summary = await this.datasets.ingestBatch(dataset, batch, { batchId, commitNow: request.commitNow });
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
              ({ dataset, batchId: id } = parseRequest(ingestRequest, request));
              origin = id || randomUUID();
            } else {
              parseRequest(streamChunkRequest(dataset), request);
            }
            commitNow = request.commitNow;
            const batch = { rows: packedRowsOf(request), batch: origin, firstIndex: next };
            next += batch.rows.ends.length;
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
            const ended = parseRequest(streamEndRequest, { dataset });
            const committed = commitNow ? await this.datasets.commitNow(ended.dataset) : undefined;
            if (committed) total.committedVersion = versionToProto(committed);
            return { summary: total };
          })(),
        ),
      ),
    );
  }

  async listVersions(request: ingestionV1.ListVersionsRequest): Promise<ingestionV1.ListVersionsResponse> {
    const { dataset } = parseRequest(datasetRequest, request);
    const { items, page } = await this.datasets.listVersions(dataset, readPage(request.page, isPositiveIntegerCursor));
    return { versions: items.map(versionToProto), page };
  }

  async getVersion(request: ingestionV1.GetVersionRequest): Promise<ingestionV1.GetVersionResponse> {
    const { dataset, version } = parseRequest(getVersionRequest, request);
    return { version: versionToProto(await this.datasets.getVersion(dataset, version)) };
  }

  async listQuarantine(request: ingestionV1.ListQuarantineRequest): Promise<ingestionV1.ListQuarantineResponse> {
    const { dataset } = parseRequest(datasetRequest, request);
    const { items, page } = await this.datasets.listQuarantine(
      dataset,
      readPage(request.page, isPositiveIntegerCursor),
      request.includeReplayed,
    );
    return { records: items.map((row) => quarantineToProto(row, this.sampleBytes)), page };
  }
}
