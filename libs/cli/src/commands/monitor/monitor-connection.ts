import { type monitorV1 } from '@flywheel/contracts';
import type { GrpcClient } from '@flywheel/platform';
import { type ParsedOptions } from '../../args';
import { CONNECTION_DETAILS, type Contracts, Targets, connectionOptions, withService } from '../../grpc/service-connection';

export const MONITOR_CONNECTION_DETAILS = CONNECTION_DETAILS;
export const monitorConnectionOptions = connectionOptions(Targets.monitor);
export type MonitorClient = GrpcClient<monitorV1.MonitorServiceController>;

export const withMonitor = <T>(options: ParsedOptions, work: (client: MonitorClient, contracts: Contracts) => Promise<T>): Promise<T> =>
  withService<monitorV1.MonitorServiceController, T>(Targets.monitor, options, work);
