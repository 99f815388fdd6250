// `npm run bench -- serving`: what an internal system pays per call to Flywheel's serving methods,
// against a bare grpc-js server (echo-server.ts) that decodes the same requests and answers with
// the same bytes, driven by the same closed-loop load generator (on a thread of its own) in the same run.
//
// The platform is `npm start`'s (the launcher, the six services, the embedded broker, PostgreSQL
// and S3) brought by the demo's first steps to a served model: the claims dataset, its feature
// view materialised, the fraud model v1 deployed. Then, per method and concurrency, a point
// against Flywheel, the lag of the prediction log's consumers (the monitor) right after it and
// how long they took to catch up, and the same point against the echo.
//
// BENCH_POINT_S (default 10) seconds per point, BENCH_RUNS (default 1) runs per point (medians),
// BENCH_CALLS to pick calls by name (';'-separated substrings), BENCH_OUT for the folder of the
// JSON figures (default bench-results/), BENCH_PROFILE for a folder where each service writes a CPU
// profile (`--cpu-prof`, one folder per service) when the platform stops, BENCH_REPLICAS (default 1)
// for that many processes of the deployer and of the feature store, called at one address that
// lists them all (round robin).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Admin } from 'kafkajs';
import { deployerV1, featureStoreV1, GrpcServices, inferenceV2, OpenInferenceService, Topics } from '@flywheel/contracts';
import { SERVICES } from '@flywheel/embedded-platform';
import { parseGrpcTarget } from '@flywheel/platform';
import {
  cpuUsedBetween,
  LoadThread,
  formatNumber,
  type LoadFigures,
  median,
  table,
  type ThreadInfo,
  threadCpu,
  unaryBytes,
} from '@flywheel/test-kit';
import { claimFeatures, type Claim } from '../src/claims-generator';
import { ClosedLoopScenario } from '../src/closed-loop-scenario';
import { DEFAULT_OPTIONS, FEATURE_VIEW, MODEL } from '../src/scenario-options';
import { type ScenarioPlatform } from '../src/scenario-platform';
import { toValue } from '../src/timeline';
import { type EchoMethod } from './echo-server';

const ROOT = resolve(__dirname, '../../../..');
const POINT_MS = Number(process.env.BENCH_POINT_S ?? 10) * 1000;
const WARMUP_MS = 2_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
/** Processes of each serving service (the deployer and the feature store). */
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 1);
const CONCURRENCIES = [1, 50];
const OUT_DIR = resolve(ROOT, process.env.BENCH_OUT ?? 'bench-results');
/** Distinct requests per call, sent in turn. */
const REQUEST_POOL = 500;
/** Longest wait for the prediction log's consumers to catch up after a point. */
const DRAIN_LIMIT_MS = 120_000;

interface ServingCall {
  readonly name: string;
  readonly service: 'deployer' | 'feature-store';
  readonly path: string;
  readonly streaming: boolean;
  readonly request: EchoMethod['request'];
  readonly requests: Buffer[];
}

/** CPU microseconds per call, by part of the machine (median over runs). */
type CpuPerCall = Record<CpuPart, number>;
const CPU_PARTS = ['serving service', 'monitor', 'PostgreSQL', 'other services', 'bench process', 'echo server'] as const;
type CpuPart = (typeof CPU_PARTS)[number];

interface PointFigures {
  readonly call: string;
  readonly concurrency: number;
  readonly flywheel: LoadFigures;
  readonly echo: LoadFigures;
  readonly flywheelCpu: CpuPerCall;
  readonly echoCpu: CpuPerCall;
  /** Prediction-log records not yet consumed by each consumer group when the point ended, and ms to catch up. */
  readonly lag: { atEnd: number; drainMs: number };
}

function servingCalls(history: readonly Claim[]): ServingCall[] {
  const predict = `/${GrpcServices.deployer.packageName}.${GrpcServices.deployer.serviceName}/`;
  const features = `/${GrpcServices.featureStore.packageName}.${GrpcServices.featureStore.serviceName}/GetOnlineFeatures`;
  const claims = history.slice(-REQUEST_POOL);
  const inline = (claim: Claim): deployerV1.PredictRequest => ({
    deployment: MODEL,
    requestId: '',
    features: { values: Object.fromEntries(Object.entries(claimFeatures(claim)).map(([k, v]) => [k, toValue(v)])) },
  });
  // The Open Inference Protocol's tensors of one row: a tensor per feature, shape [1].
  const inferRequest = (claim: Claim): inferenceV2.ModelInferRequest =>
    inferenceV2.ModelInferRequest.fromPartial({
      modelName: MODEL,
      inputs: Object.entries(claimFeatures(claim)).map(([name, value]) =>
        typeof value === 'number'
          ? { name, datatype: 'FP64', shape: [1], contents: { fp64Contents: [value] } }
          : { name, datatype: 'BYTES', shape: [1], contents: { bytesContents: [Buffer.from(value, 'utf8')] } },
      ),
    });
  const encode = <T>(codec: { encode(m: T): { finish(): Uint8Array } }, m: T) => Buffer.from(codec.encode(m).finish());
  const onlineRequest = (first: number, count: number) =>
    encode(featureStoreV1.GetOnlineFeaturesRequest, {
      featureView: FEATURE_VIEW,
      entityKeys: Array.from({ length: count }, (_, k) => claims[(first + k) % claims.length]!.claim_id),
      features: [],
    });
  return [
    {
      name: 'Predict, features inline',
      service: 'deployer',
      path: `${predict}Predict`,
      streaming: false,
      request: 'PredictRequest',
      requests: claims.map((claim) => encode(deployerV1.PredictRequest, inline(claim))),
    },
    {
      name: 'Predict by entity_key',
      service: 'deployer',
      path: `${predict}Predict`,
      streaming: false,
      request: 'PredictRequest',
      requests: claims.map((claim) => encode(deployerV1.PredictRequest, { deployment: MODEL, requestId: '', entityKey: claim.claim_id })),
    },
    {
      name: 'PredictStream, features inline',
      service: 'deployer',
      path: `${predict}PredictStream`,
      streaming: true,
      request: 'PredictStreamRequest',
      requests: claims.map((claim) => encode(deployerV1.PredictStreamRequest, { request: inline(claim) })),
    },
    {
      name: 'ModelInfer (Open Inference Protocol), 1 row',
      service: 'deployer',
      path: `/${OpenInferenceService.packageName}.${OpenInferenceService.serviceName}/ModelInfer`,
      streaming: false,
      request: 'ModelInferRequest',
      requests: claims.map((claim) => encode(inferenceV2.ModelInferRequest, inferRequest(claim))),
    },
    {
      name: 'GetOnlineFeatures, 1 entity',
      service: 'feature-store',
      path: features,
      streaming: false,
      request: 'GetOnlineFeaturesRequest',
      requests: claims.map((_, i) => onlineRequest(i, 1)),
    },
    {
      name: 'GetOnlineFeatures, 100 entities',
      service: 'feature-store',
      path: features,
      streaming: false,
      request: 'GetOnlineFeaturesRequest',
      requests: claims.map((_, i) => onlineRequest(i, 100)),
    },
  ];
}

/** Flywheel's answer to a call's first request: what the echo sends back. */
async function answerOf(platform: ScenarioPlatform, call: ServingCall): Promise<Buffer> {
  // Any replica answers the same: the first one's address.
  const address = platform.address(call.service).split(',')[0];
  if (!call.streaming) {
    const outcome = await unaryBytes(address, call.path, call.requests[0]!, platform.token);
    if (!outcome.reply) throw new Error(`${call.name} failed: ${outcome.details}`);
    return outcome.reply;
  }
  // A stream's answer wraps the unary one.
  const request = deployerV1.PredictStreamRequest.decode(call.requests[0]!).request!;
  const predictPath = call.path.replace(/PredictStream$/, 'Predict');
  const outcome = await unaryBytes(address, predictPath, Buffer.from(deployerV1.PredictRequest.encode(request).finish()), platform.token);
  if (!outcome.reply) throw new Error(`${call.name} failed: ${outcome.details}`);
  const prediction = deployerV1.PredictResponse.decode(outcome.reply);
  return Buffer.from(deployerV1.PredictStreamResponse.encode({ prediction }).finish());
}

async function startEcho(methods: EchoMethod[]): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'echo-server.ts')], {
    cwd: ROOT,
    env: { ...process.env, BENCH_ECHO_METHODS: JSON.stringify(methods) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((done, fail) => {
    child.stdout!.once('data', (d) => done(Number(String(d).trim())));
    child.once('exit', (code) => fail(new Error(`the echo server exited with ${code}`)));
  });
  return { child, address: `127.0.0.1:${port}` };
}

/** Records of the prediction log that its consumer groups have not committed yet (summed over groups). */
async function predictionLag(admin: Admin): Promise<number> {
  const ends = await admin.fetchTopicOffsets(Topics.predictions);
  const end = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  const { groups } = await admin.listGroups();
  let lag = 0;
  for (const { groupId } of groups) {
    const [topic] = await admin.fetchOffsets({ groupId, topics: [Topics.predictions] });
    const committed = topic?.partitions.filter((p) => Number(p.offset) >= 0) ?? [];
    for (const p of committed) lag += Math.max(0, (end.get(p.partition) ?? 0) - Number(p.offset));
  }
  return lag;
}

async function drained(admin: Admin): Promise<{ atEnd: number; drainMs: number }> {
  const start = Date.now();
  const atEnd = await predictionLag(admin);
  let lag = atEnd;
  while (lag > 0 && Date.now() - start < DRAIN_LIMIT_MS) {
    await new Promise((r) => setTimeout(r, 250));
    lag = await predictionLag(admin);
  }
  return { atEnd, drainMs: lag > 0 ? Infinity : Date.now() - start };
}

/**
 * Which part of the machine a thread belongs to: the service that serves the call, the monitor
 * (which follows the prediction log), PostgreSQL, the other services, this process (the load
 * generator, and the launcher's embedded broker and S3), or the echo server.
 */
function cpuLabeller(platform: ScenarioPlatform, call: ServingCall, echoPid: number): (thread: ThreadInfo) => CpuPart | undefined {
  const roles = new Map<number, CpuPart>([
    [process.pid, 'bench process'],
    [echoPid, 'echo server'],
  ]);
  for (const service of SERVICES) {
    for (const pid of platform.pidsOf(service))
      roles.set(pid, service === call.service ? 'serving service' : service === 'monitor' ? 'monitor' : 'other services');
  }
  return (thread) => roles.get(thread.pid) ?? (thread.name.startsWith('postgres') ? 'PostgreSQL' : undefined);
}

/** Drives one point, with the CPU each part of the machine spent per call meanwhile. */
async function drive(
  load: LoadThread,
  call: ServingCall,
  address: string,
  token: string | undefined,
  concurrency: number,
  labelOf: (thread: ThreadInfo) => CpuPart | undefined,
): Promise<{ figures: LoadFigures; cpu: CpuPerCall }> {
  // Replicas (BENCH_REPLICAS) are one address listing each: the channel takes them in turns.
  const { target, serviceConfig } = parseGrpcTarget(address);
  const point = {
    address: target,
    channelOptions: serviceConfig ? { 'grpc.service_config': serviceConfig } : undefined,
    path: call.path,
    requests: call.requests,
    token,
    concurrency,
    durationMs: POINT_MS,
    warmupMs: WARMUP_MS,
  };
  // The warm-up is inside the CPU window: its calls are counted with it, at the measured rate.
  const before = threadCpu();
  const figures = await load.drive(call.streaming, point);
  const used = cpuUsedBetween(before, threadCpu(), labelOf);
  const calls = figures.rps * ((POINT_MS + WARMUP_MS) / 1000);
  const cpu = Object.fromEntries(CPU_PARTS.map((part) => [part, ((used.get(part) ?? 0) * 1000) / calls])) as CpuPerCall;
  return { figures, cpu };
}

function medianCpu(runs: CpuPerCall[]): CpuPerCall {
  return Object.fromEntries(CPU_PARTS.map((part) => [part, median(runs.map((r) => r[part]))])) as CpuPerCall;
}

function medianFigures(runs: LoadFigures[]): LoadFigures {
  const errors = runs.reduce((n, r) => n + r.errors, 0);
  return {
    calls: median(runs.map((r) => r.calls)),
    errors,
    firstError: runs.find((r) => r.firstError)?.firstError,
    rps: median(runs.map((r) => r.rps)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
  };
}

/** Each target a point has, and whether it is met. */
function verdicts(point: PointFigures, all: PointFigures[]): string[] {
  const { flywheel, echo } = point;
  const out = [
    `rps ≥ 0.7×: ${flywheel.rps >= 0.7 * echo.rps ? 'met' : 'NOT met'}`,
    `p99 ≤ 1.5×: ${flywheel.p99Ms <= 1.5 * echo.p99Ms ? 'met' : 'NOT met'}`,
  ];
  if (point.call === 'GetOnlineFeatures, 1 entity' && point.concurrency === 1)
    out.push(`p99 ≤ 1.5 ms: ${flywheel.p99Ms <= 1.5 ? 'met' : 'NOT met'}`);
  if (point.call === 'Predict by entity_key') {
    const inline = all.find((p) => p.call === 'Predict, features inline' && p.concurrency === point.concurrency);
    if (inline) out.push(`p99 ≤ 2× inline: ${flywheel.p99Ms <= 2 * inline.flywheel.p99Ms ? 'met' : 'NOT met'}`);
  }
  if (flywheel.errors > 0) out.push(`${flywheel.errors} errors: ${flywheel.firstError}`);
  return out;
}

async function main(): Promise<void> {
  // The launcher reads its environment: each service writes its CPU profile there when stopped,
  // and the serving services run as many replicas as asked.
  if (process.env.BENCH_PROFILE) process.env.FLYWHEEL_CPU_PROFILE_DIR = process.env.BENCH_PROFILE;
  if (REPLICAS > 1) process.env.FLYWHEEL_REPLICAS = `deployer=${REPLICAS},feature-store=${REPLICAS}`;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const scenario = new ClosedLoopScenario({ ...DEFAULT_OPTIONS, backfillClaims: 2_000 }, log);
  let echo: { child: ChildProcess; address: string } | undefined;
  let admin: Admin | undefined;
  // The load from a thread of its own: this process also runs the launcher's broker and S3 server.
  const load = LoadThread.start();
  try {
    const { platform, history } = await scenario.serveFirstVersion();
    const wanted = (process.env.BENCH_CALLS ?? '').split(';').filter(Boolean);
    const calls = servingCalls(history).filter((c) => wanted.length === 0 || wanted.some((w) => c.name.includes(w)));
    const methods: EchoMethod[] = [];
    for (const call of calls) {
      if (methods.some((m) => m.path === call.path)) continue;
      methods.push({
        path: call.path,
        streaming: call.streaming,
        request: call.request,
        answer: (await answerOf(platform, call)).toString('base64'),
      });
    }
    echo = await startEcho(methods);
    admin = platform.kafka.admin();
    await admin.connect();
    await drained(admin);

    process.stderr.write(
      `\n${POINT_MS / 1000} s per point after ${WARMUP_MS / 1000} s of warm-up, ${RUNS} run(s) each, ${REPLICAS} replica(s) of each serving service\n`,
    );
    const points: PointFigures[] = [];
    for (const call of calls) {
      for (const concurrency of CONCURRENCIES) {
        const labelOf = cpuLabeller(platform, call, echo.child.pid!);
        const flywheelRuns: Array<{ figures: LoadFigures; cpu: CpuPerCall }> = [];
        const echoRuns: Array<{ figures: LoadFigures; cpu: CpuPerCall }> = [];
        let lag = { atEnd: 0, drainMs: 0 };
        for (let run = 0; run < RUNS; run++) {
          flywheelRuns.push(await drive(load, call, platform.address(call.service), platform.token, concurrency, labelOf));
          lag = await drained(admin);
          echoRuns.push(await drive(load, call, echo.address, undefined, concurrency, labelOf));
        }
        const point: PointFigures = {
          call: call.name,
          concurrency,
          flywheel: medianFigures(flywheelRuns.map((r) => r.figures)),
          echo: medianFigures(echoRuns.map((r) => r.figures)),
          flywheelCpu: medianCpu(flywheelRuns.map((r) => r.cpu)),
          echoCpu: medianCpu(echoRuns.map((r) => r.cpu)),
          lag,
        };
        points.push(point);
        log(
          `  ${call.name}, c=${concurrency}: ${formatNumber(point.flywheel.rps)} rps (echo ${formatNumber(point.echo.rps)}), ` +
            `monitor lag ${formatNumber(lag.atEnd)}`,
        );
      }
    }
    const ms = (n: number) => formatNumber(n, 2);
    const rows = points.map((p) => [
      p.call,
      String(p.concurrency),
      formatNumber(p.flywheel.rps),
      ms(p.flywheel.p50Ms),
      ms(p.flywheel.p99Ms),
      formatNumber(p.echo.rps),
      ms(p.echo.p50Ms),
      ms(p.echo.p99Ms),
      formatNumber(p.flywheel.rps / p.echo.rps, 2),
      formatNumber(p.flywheel.p99Ms / p.echo.p99Ms, 2),
      `${formatNumber(p.lag.atEnd)} / ${Number.isFinite(p.lag.drainMs) ? `${formatNumber(p.lag.drainMs / 1000, 1)} s` : 'not in 120 s'}`,
      verdicts(p, points).join('; '),
    ]);
    process.stdout.write(
      `\n${table(
        [
          'call',
          'c',
          'rps',
          'p50 ms',
          'p99 ms',
          'echo rps',
          'echo p50',
          'echo p99',
          'rps ratio',
          'p99 ratio',
          'monitor lag / caught up',
          'targets',
        ],
        rows,
      )}\n`,
    );
    const us = (n: number) => formatNumber(n);
    const cpuRows = points.map((p) => [
      p.call,
      String(p.concurrency),
      ...CPU_PARTS.slice(0, 5).map((part) => us(p.flywheelCpu[part])),
      us(p.echoCpu['echo server']),
      us(p.echoCpu['bench process']),
      formatNumber(p.flywheelCpu['serving service'] / p.echoCpu['echo server'], 1),
    ]);
    process.stdout.write(
      `\nCPU µs per call (Flywheel: by part of the machine; echo: its server and this process)\n${table(
        [
          'call',
          'c',
          'serving service',
          'monitor',
          'PostgreSQL',
          'other services',
          'bench process',
          'echo server',
          'bench (echo)',
          'service / echo',
        ],
        cpuRows,
      )}\n`,
    );
    mkdirSync(OUT_DIR, { recursive: true });
    const file = join(OUT_DIR, 'serving.json');
    writeFileSync(file, `${JSON.stringify({ pointSeconds: POINT_MS / 1000, runs: RUNS, replicas: REPLICAS, points }, null, 2)}\n`);
    process.stdout.write(`\nfigures as JSON: ${file}\n`);
  } finally {
    await load.close();
    await admin?.disconnect();
    echo?.child.kill('SIGTERM');
    await scenario.stop();
  }
}

// Exits explicitly: embedded PostgreSQL's exit hook fails when the process ends by itself.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    if (error && typeof error === 'object' && 'logs' in error) {
      for (const [service, tail] of Object.entries((error as { logs: Record<string, string> }).logs))
        process.stderr.write(`--- ${service}\n${tail}\n`);
    }
    process.exit(1);
  },
);
