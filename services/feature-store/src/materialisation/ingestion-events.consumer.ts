import { Inject, Injectable } from '@nestjs/common';
import {
  DatasetRegisteredEvent,
  DatasetUpdatedEvent,
  DatasetVersionCommittedEvent,
  type EventEnvelope,
  type ingestionV1,
  Topics,
} from '@flywheel/contracts';
import { ConsumeEvent, NonRetriableError } from '@flywheel/messaging';
import { type EntityManager } from 'typeorm';
import { DatasetCatalogRepository } from '../datasets/dataset-catalog.repository';
import { MaterialisationException } from './materialisation.exception';
import { InvalidVersionEvent, Materialiser } from './materialiser.service';

export const INGESTION_EVENTS_GROUP = 'feature-store.ingestion-events';

/**
 * Ingestion's events: registrations tell the store which datasets exist and their columns;
 * committed versions are materialised. Both run once per event (dedupe by event id in the
 * handler's transaction); a version the store can never read is parked in the dead-letter topic.
 */
@Injectable()
export class IngestionEventsConsumer {
  constructor(
    @Inject(DatasetCatalogRepository) private readonly catalog: DatasetCatalogRepository,
    @Inject(Materialiser) private readonly materialiser: Materialiser,
  ) {}

  /** A registration, or a contract relaxed later (columns added at the end, bounds widened): the catalog keeps the latest. */
  @ConsumeEvent({ topic: Topics.ingestionEvents, types: [DatasetRegisteredEvent, DatasetUpdatedEvent], group: INGESTION_EVENTS_GROUP })
  async onDatasetDefined(
    event: EventEnvelope<ingestionV1.DatasetRegistered | ingestionV1.DatasetUpdated>,
    manager: EntityManager,
  ): Promise<void> {
    const dataset = event.data.dataset;
    if (!dataset?.name || !dataset.contract) throw new NonRetriableError(`${event.type} ${event.id}: dataset name or contract missing`);
    await this.catalog.upsertDataset(manager, dataset.name, dataset.contract);
  }

  @ConsumeEvent({ topic: Topics.ingestionEvents, types: [DatasetVersionCommittedEvent], group: INGESTION_EVENTS_GROUP })
  async onDatasetVersionCommitted(event: EventEnvelope<ingestionV1.DatasetVersionCommitted>, manager: EntityManager): Promise<void> {
    try {
      await this.materialiser.onVersionCommitted(manager, event.id, event.data);
    } catch (error) {
      if (error instanceof InvalidVersionEvent || error instanceof MaterialisationException) {
        throw new NonRetriableError(error.message, { cause: error });
      }
      throw error;
    }
  }
}
