import { Controller, Inject } from '@nestjs/common';
import { featureStoreV1 } from '@flywheel/contracts';
import { isStringCursor, parseRequest, readPage } from '@flywheel/platform';
import { applyFeatureViewSchema } from '../feature-views/feature-view';
import { toProtoFeatureView } from '../feature-views/feature-view.mapper';
import { FeatureViewsService } from '../feature-views/feature-views.service';
import { toHistoricalFeaturesResponse } from '../serving/historical-features.mapper';
import { HistoricalFeaturesService } from '../serving/historical-features.service';
import { toOnlineFeaturesResponse } from '../serving/online-features.mapper';
import { OnlineFeaturesService } from '../serving/online-features.service';
import {
  getFeatureViewSchema,
  getHistoricalFeaturesSchema,
  getOnlineFeaturesSchema,
  listFeatureViewsSchema,
  parseReadTrainingSet,
} from './feature-store.requests';

/** The FeatureStoreService contract: each method parses its request, calls its feature and maps the answer. */
@Controller()
@featureStoreV1.FeatureStoreServiceControllerMethods()
export class FeatureStoreGrpcController implements featureStoreV1.FeatureStoreServiceController {
  constructor(
    @Inject(FeatureViewsService) private readonly featureViews: FeatureViewsService,
    @Inject(OnlineFeaturesService) private readonly online: OnlineFeaturesService,
    @Inject(HistoricalFeaturesService) private readonly historical: HistoricalFeaturesService,
  ) {}

  async applyFeatureView(request: featureStoreV1.ApplyFeatureViewRequest): Promise<featureStoreV1.ApplyFeatureViewResponse> {
    const { view, changed } = await this.featureViews.apply(parseRequest(applyFeatureViewSchema, request));
    return { featureView: toProtoFeatureView(view), changed };
  }

  async getFeatureView(request: featureStoreV1.GetFeatureViewRequest): Promise<featureStoreV1.GetFeatureViewResponse> {
    const { name, revision } = parseRequest(getFeatureViewSchema, request);
    const view = await this.featureViews.require(name, revision);
    return { featureView: toProtoFeatureView(view, await this.featureViews.sourceColumns(view.dataset)) };
  }

  async listFeatureViews(request: featureStoreV1.ListFeatureViewsRequest): Promise<featureStoreV1.ListFeatureViewsResponse> {
    const { dataset } = parseRequest(listFeatureViewsSchema, request);
    const listed = await this.featureViews.list(dataset, readPage(request.page, isStringCursor));
    return { featureViews: listed.views.map((view) => toProtoFeatureView(view)), page: listed.page };
  }

  async getOnlineFeatures(request: featureStoreV1.GetOnlineFeaturesRequest): Promise<featureStoreV1.GetOnlineFeaturesResponse> {
    const { featureView, entityKeys, features } = parseRequest(getOnlineFeaturesSchema, request);
    return toOnlineFeaturesResponse(await this.online.get(featureView, entityKeys, features));
  }

  // Read, not write: building a training set changes no state anyone else sees (its object is
  // content-addressed), and the trainer and analysts call it with read tokens.
  async getHistoricalFeatures(request: featureStoreV1.GetHistoricalFeaturesRequest): Promise<featureStoreV1.GetHistoricalFeaturesResponse> {
    return toHistoricalFeaturesResponse(await this.historical.get(parseRequest(getHistoricalFeaturesSchema, request)));
  }

  async readTrainingSet(request: featureStoreV1.ReadTrainingSetRequest): Promise<featureStoreV1.ReadTrainingSetResponse> {
    return { chunk: await this.historical.readChunk(parseReadTrainingSet(request)) };
  }
}
