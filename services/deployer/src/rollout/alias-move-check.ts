import { type EventEnvelope, type registryV1 } from '@flywheel/contracts';
import { NonRetriableError } from '@flywheel/messaging';
import { type ModelRegistry } from '../deployments/model-registry';

/** What the registry says about an AliasMoved the deployer is about to act on. */
export type AliasMoveCheck =
  /** The alias points at that version, and the version is the registry's (its record, to serve). */
  | { readonly kind: 'confirmed'; readonly version: registryV1.ModelVersion }
  /** A genuine version, but the alias has moved on since (a later event carries the move). */
  | { readonly kind: 'superseded'; readonly current: number };

/**
 * Refused: the event claims something the registry does not confirm. Dead-lettered at once with
 * this message (which names the event and its producer), never retried.
 */
export class AliasMoveRefusedError extends NonRetriableError {
  constructor(event: EventEnvelope<registryV1.AliasMoved>, reason: string) {
    const moved = event.data;
    super(`AliasMoved ${event.id} from ${event.source} (${moved.modelName} ${moved.alias} → v${moved.toVersion}) refused: ${reason}`);
    this.name = 'AliasMoveRefusedError';
  }
}

/**
 * Defence in depth: the deployer serves what the registry — the owner of models, versions and
 * aliases — confirms, not what an event on its topic claims. Whoever can write that topic (a
 * leaked credential, a compromised service) could otherwise make it serve any artifact under any
 * name. The registry's own record of the version is what gets served, so the event cannot point
 * at another object or checksum either.
 */
export async function checkAliasMove(registry: ModelRegistry, event: EventEnvelope<registryV1.AliasMoved>): Promise<AliasMoveCheck> {
  const moved = event.data;
  const aliases = await registry.aliasesOf(moved.modelName);
  if (!aliases) throw new AliasMoveRefusedError(event, `the registry has no model ${JSON.stringify(moved.modelName)}`);
  const registered = await registry.versionOf(moved.modelName, moved.toVersion);
  if (!registered) throw new AliasMoveRefusedError(event, `the registry has no version ${moved.toVersion} of ${moved.modelName}`);
  const claimed = moved.target?.artifact;
  const actual = registered.artifact;
  if (claimed?.key !== actual?.key || claimed?.sha256 !== actual?.sha256) {
    throw new AliasMoveRefusedError(
      event,
      `its artifact (${claimed?.key ?? 'none'}, sha256 ${claimed?.sha256 || 'none'}) is not the registry's ` +
        `(${actual?.key ?? 'none'}, sha256 ${actual?.sha256 || 'none'})`,
    );
  }
  const current = aliases[moved.alias] ?? 0;
  return current === moved.toVersion ? { kind: 'confirmed', version: registered } : { kind: 'superseded', current };
}
