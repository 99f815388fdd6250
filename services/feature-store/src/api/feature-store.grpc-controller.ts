import { Controller, Inject } from '@nestjs/common';
import { featureStoreV1 } from '@flywheel/contracts';
import { FeatureViewsService } from '../feature-views/feature-views.service';
import { HistoricalFeaturesService } from '../serving/historical-features.service';
import { OnlineFeaturesService } from '../serving/online-features.service';

/** The FeatureStoreService contract; each method delegates to its feature. */
@Controller()
@featureStoreV1.FeatureStoreServiceControllerMethods()
export class FeatureStoreGrpcController implements featureStoreV1.FeatureStoreServiceController {
  constructor(
    @Inject(FeatureViewsService) private readonly featureViews: FeatureViewsService,
    @Inject(OnlineFeaturesService) private readonly online: OnlineFeaturesService,
    @Inject(HistoricalFeaturesService) private readonly historical: HistoricalFeaturesService,
  ) {}

  applyFeatureView(request: featureStoreV1.ApplyFeatureViewRequest): Promise<featureStoreV1.ApplyFeatureViewResponse> {
    return this.featureViews.apply(request);
  }

  getFeatureView(request: featureStoreV1.GetFeatureViewRequest): Promise<featureStoreV1.GetFeatureViewResponse> {
    return this.featureViews.get(request);
  }

  listFeatureViews(request: featureStoreV1.ListFeatureViewsRequest): Promise<featureStoreV1.ListFeatureViewsResponse> {
    return this.featureViews.list(request);
  }

  getOnlineFeatures(request: featureStoreV1.GetOnlineFeaturesRequest): Promise<featureStoreV1.GetOnlineFeaturesResponse> {
    return this.online.get(request);
  }

  // Read, not write: building a training set changes no state anyone else sees (its object is
  // content-addressed), and the trainer and analysts call it with read tokens.
  getHistoricalFeatures(request: featureStoreV1.GetHistoricalFeaturesRequest): Promise<featureStoreV1.GetHistoricalFeaturesResponse> {
    return this.historical.get(request);
  }
}
