import { status as GrpcStatus } from '@grpc/grpc-js';
import { grpcCode, ok, type PageRoute } from '../page';
import { monitoringView } from './monitoring.view';

export const MONITORING_PAGES: readonly PageRoute[] = [
  {
    pattern: /^\/monitoring\/([^/]+)$/,
    title: 'Monitoring',
    async render({ backend, token, viewer }, [name]) {
      try {
        return ok(monitoringView(name, (await backend.monitor(token).getDriftReport({ modelName: name, reportId: '' })).report, viewer));
      } catch (error) {
        if (grpcCode(error) === GrpcStatus.NOT_FOUND) return ok(monitoringView(name, undefined, viewer));
        throw error;
      }
    },
  },
];
