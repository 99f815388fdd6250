// `npm run deploy:kafka-access`: rewrites deploy/kafka/kafka-access.sh from the Kafka access
// table of @flywheel/contracts, after a change to what a service produces or consumes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KAFKA_ACCESS_SCRIPT, kafkaAccessScript } from '../src/auth/kafka-access-script';

const file = join(__dirname, '..', '..', '..', KAFKA_ACCESS_SCRIPT);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, kafkaAccessScript(), { mode: 0o755 });
console.log(`wrote ${KAFKA_ACCESS_SCRIPT}`);
