import { Inject, Injectable } from '@nestjs/common';
import { type deployerV1 } from '@flywheel/contracts';
import { type Page, pageOf, type PageResponseLike } from '@flywheel/platform';
import { type DeploymentChangesQuery } from './deployer-requests';
import { type DeploymentRecord } from './deployment';
import { changeTimeOf, type DeploymentChangeCursor, DeploymentRepository } from './deployment.repository';

/** Reads of the stored deployments for the API. */
@Injectable()
export class DeploymentQueryService {
  constructor(@Inject(DeploymentRepository) private readonly repository: DeploymentRepository) {}

  /** Deployments by name, one page after `page.after`. */
  async list(page: Page<string>): Promise<{ items: DeploymentRecord[]; page: PageResponseLike }> {
    const rows = await this.repository.list(page.after ?? '', page.size + 1);
    return pageOf(rows, page, (last) => last.name);
  }

  /** Changes of a deployment or a model's deployments, newest first, one page after `page.after`. */
  async listChanges(query: DeploymentChangesQuery): Promise<{ items: deployerV1.DeploymentChanged[]; page: PageResponseLike }> {
    const rows = await this.repository.listChanges(query.filter, query.page.after, query.page.size + 1);
    const listed = pageOf(rows, query.page, (last): DeploymentChangeCursor => [changeTimeOf(last.change).toISOString(), last.id]);
    return { items: listed.items.map((row) => row.change), page: listed.page };
  }
}
