import { Inject, Injectable } from '@nestjs/common';
import { type Page, pageOf, type PageResponseLike } from '@flywheel/platform';
import { type DeploymentRecord } from './deployment';
import { DeploymentRepository } from './deployment.repository';

/** Reads of the stored deployments for the API. */
@Injectable()
export class DeploymentQueryService {
  constructor(@Inject(DeploymentRepository) private readonly repository: DeploymentRepository) {}

  /** Deployments by name, one page after `page.after`. */
  async list(page: Page<string>): Promise<{ items: DeploymentRecord[]; page: PageResponseLike }> {
    const rows = await this.repository.list(page.after ?? '', page.size + 1);
    return pageOf(rows, page, (last) => last.name);
  }
}
