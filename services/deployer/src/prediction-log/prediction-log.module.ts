import { Module } from '@nestjs/common';
import { KafkaPredictionLog } from './kafka-prediction-log';
import { PredictionLog } from './prediction-log';

@Module({
  providers: [{ provide: PredictionLog, useClass: KafkaPredictionLog }],
  exports: [PredictionLog],
})
export class PredictionLogModule {}
