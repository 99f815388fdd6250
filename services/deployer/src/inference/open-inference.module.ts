import { Module } from '@nestjs/common';
import { ServingModule } from '../serving/serving.module';
import { OpenInferenceGrpcController } from './open-inference.grpc-controller';
import { OpenInferenceService } from './open-inference.service';

/** The Open Inference Protocol (KServe V2) over gRPC; its REST twin is mounted on the HTTP port (open-inference.routes.ts). */
@Module({
  imports: [ServingModule],
  controllers: [OpenInferenceGrpcController],
  providers: [OpenInferenceService],
  exports: [OpenInferenceService],
})
export class OpenInferenceModule {}
