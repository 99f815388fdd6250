import { resolve } from 'node:path';
import { jsonLogger, runServerCommand, ServerCommand } from '@flywheel/dev-server-kit';
import { S3Server } from './s3-server';

const USAGE = `usage: S3_ACCESS_KEY=… S3_SECRET_KEY=… npm run s3 --
         [--port 9000] [--host 127.0.0.1] [--data-dir .flywheel/s3] [--region us-east-1] [--log-level info]`;

runServerCommand('s3 server', async () => {
  const command = new ServerCommand(USAGE, ['port', 'host', 'data-dir', 'region']);
  const { values } = command;
  const level = command.logLevel();
  // Keys only from the environment: never a default, never on the command line (visible in ps).
  const accessKey = process.env.S3_ACCESS_KEY ?? '';
  const secretKey = process.env.S3_SECRET_KEY ?? '';
  if (accessKey.length < 3) command.fail('S3_ACCESS_KEY must be set (at least 3 characters)');
  if (secretKey.length < 8) command.fail('S3_SECRET_KEY must be set (at least 8 characters)');
  const server = await S3Server.start({
    host: values.host ?? '127.0.0.1',
    port: command.integer('port', 9000, 65535),
    dataDir: resolve(values['data-dir'] ?? '.flywheel/s3'),
    region: values.region ?? process.env.S3_REGION ?? 'us-east-1',
    accessKey,
    secretKey,
    logger: jsonLogger(level, 's3-server'),
  });
  process.stdout.write(`S3 server ready at ${server.endpoint} (data in ${server.dataDir})\n`);
  command.stopOnSignals('S3 server', server);
});
