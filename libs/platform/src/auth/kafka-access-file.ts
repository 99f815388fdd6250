import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  KAFKA_ACL_OPERATIONS,
  KAFKA_ACL_RESOURCES,
  type KafkaAcl,
  type KafkaUser,
  producerAcls,
  principalOf,
  teamProducerUser,
} from '@flywheel/contracts';
import { z } from 'zod';
import { writePrivateFile } from '../files/write-private-file';
import { parseValidatedJson } from './validated-json';

/**
 * The Kafka-access file: the SCRAM users and ACLs of the teams' data producers, written by
 * `flywheel auth kafka` and read by the launcher, which gives them to the embedded broker with
 * the services' own (from the table in @flywheel/contracts). It holds passwords, as the broker
 * needs them to check SCRAM proofs: mode 0600, beside the tokens file.
 */
export interface KafkaProducerGrant {
  readonly team: string;
  readonly user: string;
  readonly password: string;
  readonly acls: readonly KafkaAcl[];
  readonly createdAt: string;
}

export interface KafkaAccessFile {
  readonly version: 1;
  readonly producers: readonly KafkaProducerGrant[];
}

/** Far above hundreds of teams; a larger file is not one we wrote. */
export const MAX_KAFKA_ACCESS_FILE_BYTES = 4 * 1024 * 1024;

/** `<folder of the tokens file>/kafka-access.json`: where the launcher and the CLI meet. */
export function kafkaAccessFileBeside(tokensFile: string): string {
  return join(dirname(tokensFile), 'kafka-access.json');
}

export class KafkaAccessFileError extends Error {
  constructor(source: string, reason: string) {
    super(`Kafka-access file ${source}: ${reason}`);
    this.name = 'KafkaAccessFileError';
  }
}

const aclSchema = z.object({
  principal: z.string().regex(/^User:[A-Za-z0-9._-]+$/),
  resource: z.enum(KAFKA_ACL_RESOURCES),
  pattern: z.enum(['literal', 'prefixed']),
  name: z.string().min(1).max(255),
  operation: z.enum(KAFKA_ACL_OPERATIONS),
});

const fileSchema = z.object({
  version: z.literal(1),
  producers: z.array(
    z.object({
      team: z.string().min(1),
      user: z.string().regex(/^[a-z][a-z0-9-]{0,79}$/),
      password: z.string().min(16),
      acls: z.array(aclSchema),
      createdAt: z.string(),
    }),
  ),
});

function readBounded(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_KAFKA_ACCESS_FILE_BYTES) throw new KafkaAccessFileError(file, `${size} bytes, more than ${MAX_KAFKA_ACCESS_FILE_BYTES}`);
    const buffer = Buffer.alloc(size);
    return buffer.subarray(0, readSync(fd, buffer, 0, size, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The file's grants; none when it does not exist yet. */
export function readKafkaAccessFile(file: string): KafkaAccessFile {
  const text = readBounded(file);
  if (text === undefined) return { version: 1, producers: [] };
  const data = parseValidatedJson(text, fileSchema, (reason) => new KafkaAccessFileError(file, reason));
  const users = new Set<string>();
  for (const grant of data.producers) {
    if (users.has(grant.user)) throw new KafkaAccessFileError(file, `user ${grant.user} is listed twice`);
    users.add(grant.user);
  }
  return data;
}

/** The users and ACLs the file gives a broker (beside the services' own). */
export function kafkaAccessOf(file: KafkaAccessFile): { users: KafkaUser[]; acls: KafkaAcl[] } {
  return {
    users: file.producers.map((grant) => ({ name: grant.user, password: grant.password })),
    acls: file.producers.flatMap((grant) => [...grant.acls]),
  };
}

export interface TeamProducerRequest {
  readonly team: string;
  /** `flywheel.ingest.<dataset>` topics only. */
  readonly produce: readonly string[];
  readonly consume?: readonly string[];
  readonly group?: string;
}

export interface TeamProducerGranted {
  readonly grant: KafkaProducerGrant;
  /** The team had a producer already: its password and ACLs are replaced (a rotation). */
  readonly replaced: boolean;
}

/**
 * Gives a team's data producer a SCRAM user (`<team>-producer`, a new random password) and the
 * ACLs `producerAcls` allows it, replacing what the team had. Throws KafkaAccessError for
 * topics a team may not have, before anything is written.
 */
export function grantTeamProducer(file: string, request: TeamProducerRequest, now = new Date()): TeamProducerGranted {
  const user = teamProducerUser(request.team);
  const acls = producerAcls(principalOf(user), request.produce, request.consume ?? [], request.group);
  const current = readKafkaAccessFile(file);
  const grant: KafkaProducerGrant = {
    team: request.team,
    user,
    password: randomBytes(32).toString('base64url'),
    acls,
    createdAt: now.toISOString(),
  };
  const others = current.producers.filter((p) => p.user !== user);
  const content: KafkaAccessFile = { version: 1, producers: [...others, grant] };
  writePrivateFile(file, `${JSON.stringify(content, null, 2)}\n`);
  return { grant, replaced: others.length !== current.producers.length };
}
