import {
  type DynamicModule,
  Inject,
  Injectable,
  type InjectionToken,
  type ModuleMetadata,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { DatabaseHealth } from '../health/database-health';
import { PgTableChanges, tableChangesFor } from '../table-changes/pg-table-changes';
import { TableChanges } from '../table-changes/table-changes';
import { TransactionRunner } from '../transaction/transaction-runner';
import { createDataSourceOptions, type DataSourceSettings } from './data-source-options';
import { isTransientConnectionError, openDataSource } from './open-data-source';

type ConnectionSettings = Omit<DataSourceSettings, 'entities' | 'migrations'>;

export interface PersistenceModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  entities: DataSourceSettings['entities'];
  migrations: DataSourceSettings['migrations'];
  inject?: InjectionToken[];
  /** Usually reads DATABASE_URL from the platform's validated config. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's factory convention: deps match `inject`
  useFactory: (...deps: any[]) => ConnectionSettings | Promise<ConnectionSettings>;
}

/** Boot waits this long for a database that is still starting (compose, Kubernetes). */
const CONNECT_RETRY_ATTEMPTS = 10;
const CONNECT_RETRY_DELAY_MS = 3_000;

/** Closes the table-change listener's connection last, after every loop that listened has stopped. */
@Injectable()
class TableChangesShutdown implements OnApplicationShutdown {
  constructor(@Inject(TableChanges) private readonly changes: TableChanges) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.changes instanceof PgTableChanges) await this.changes.close();
  }
}

/**
 * The service's one database: connects at boot, runs its migrations (plus the outbox's), and
 * provides the TypeORM `DataSource` and a {@link TransactionRunner} to the whole application, and
 * registers the `database` health check. {@link TableChanges} tells its loops of commits by any
 * process (LISTEN/NOTIFY on one connection of its own).
 */
@Module({})
export class PersistenceModule {
  static forService(settings: DataSourceSettings): DynamicModule {
    return PersistenceModule.forServiceAsync({
      entities: settings.entities,
      migrations: settings.migrations,
      useFactory: () => settings,
    });
  }

  static forServiceAsync(options: PersistenceModuleAsyncOptions): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          imports: options.imports,
          inject: options.inject,
          useFactory: async (...deps: unknown[]): Promise<TypeOrmModuleOptions> => ({
            ...createDataSourceOptions({
              ...(await options.useFactory(...deps)),
              entities: options.entities,
              migrations: options.migrations,
            }),
            retryAttempts: CONNECT_RETRY_ATTEMPTS,
            retryDelay: CONNECT_RETRY_DELAY_MS,
            toRetry: isTransientConnectionError,
          }),
          dataSourceFactory: (dataSourceOptions?: DataSourceOptions) => {
            if (!dataSourceOptions) throw new Error('PersistenceModule: no data source options');
            return openDataSource(dataSourceOptions);
          },
        }),
      ],
      providers: [
        TransactionRunner,
        DatabaseHealth,
        { provide: TableChanges, inject: [DataSource], useFactory: (dataSource: DataSource) => tableChangesFor(dataSource) },
        TableChangesShutdown,
      ],
      exports: [TransactionRunner, TableChanges],
    };
  }
}
