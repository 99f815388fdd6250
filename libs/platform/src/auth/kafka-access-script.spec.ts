import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allServiceAcls, type KafkaAcl } from '@flywheel/contracts';
import { aclCommands, KAFKA_ACCESS_SCRIPT, kafkaAccessMarkdown, kafkaAccessScript, kafkaPasswordVariable } from './kafka-access-script';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

describe('deploy/kafka/kafka-access.sh', () => {
  it('is what the access table generates (run `npm run deploy:kafka-access` after changing the table)', () => {
    expect(readFileSync(join(REPO_ROOT, KAFKA_ACCESS_SCRIPT), 'utf8')).toBe(kafkaAccessScript());
  });

  it('grants every ACL of the table, one kafka-acls command a principal and resource', () => {
    const commands = aclCommands(allServiceAcls());
    const granted = commands.flatMap((command) => [...command.matchAll(/--operation (\w+)/g)]);
    expect(granted).toHaveLength(allServiceAcls().length);
    expect(commands).toContain(
      'allow User:registry --topic flywheel.registry.events --resource-pattern-type literal --operation Write --operation Describe --operation Create',
    );
    expect(commands).toContain('allow User:ingestion --group ingestion.raw. --resource-pattern-type prefixed --operation Read');
  });

  it('spells every resource and operation as kafka-acls does', () => {
    const acl = (resource: KafkaAcl['resource'], operation: KafkaAcl['operation'], name = 'x'): KafkaAcl => ({
      principal: 'User:u',
      resource,
      pattern: 'literal',
      name,
      operation,
    });
    expect(
      aclCommands([acl('cluster', 'idempotent-write', 'kafka-cluster'), acl('transactional-id', 'describe-configs'), acl('group', 'all')]),
    ).toEqual([
      'allow User:u --cluster --resource-pattern-type literal --operation IdempotentWrite',
      'allow User:u --transactional-id x --resource-pattern-type literal --operation DescribeConfigs',
      'allow User:u --group x --resource-pattern-type literal --operation All',
    ]);
  });

  it('names the password variables after the users', () => {
    expect(kafkaPasswordVariable('admin')).toBe('KAFKA_ADMIN_PASSWORD');
    expect(kafkaPasswordVariable('feature-store')).toBe('FEATURE_STORE_KAFKA_PASSWORD');
  });
});

describe('the README', () => {
  it('shows the access table as it is', () => {
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain(kafkaAccessMarkdown());
  });
});
