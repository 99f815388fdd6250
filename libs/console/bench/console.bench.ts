// How fast the console answers its pages at the size the console's target names: 50 runs, 20
// versions and 1,000 drift reports. The services' answers come from memory (synthetic-platform.ts),
// so the figures are the console's own work — reading the answers, rendering the HTML and drawing
// the charts on the server — and the target is p95 ≤ 300 ms per page. The baseline is a bare
// node:http server sending the same bytes, in the same run: what an HTTP answer of that size costs.
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { formatNumber, table } from '@flywheel/test-kit';
import { ConsoleTestKit, type SignedIn } from '../src/testing/console-test-kit';
import { DATASET, DEPLOYMENT, MODEL, RUN_IDS, syntheticBackend } from './synthetic-platform';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 60);
const TARGET_P95_MS = 300;
const TOKEN = 'fw_bench_reader';

const PAGES: ReadonlyArray<[string, string]> = [
  ['loop', `/loop/${MODEL}`],
  ['datasets', '/datasets'],
  ['dataset', `/datasets/${DATASET}`],
  ['runs', '/runs'],
  ['runs sorted', '/runs?sort=accuracy&order=desc'],
  ['run (a search)', `/runs/${RUN_IDS.first}`],
  ['run comparison', `/runs/compare?run=${RUN_IDS.first}&run=${RUN_IDS.second}`],
  ['models', '/models'],
  ['model', `/models/${MODEL}`],
  ['deployments', '/deployments'],
  ['deployment', `/deployments/${DEPLOYMENT}`],
  ['monitoring', `/monitoring/${MODEL}`],
];

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function timed(fetchOnce: () => Promise<Response>): Promise<{ ms: number[]; bytes: number; status: number }> {
  const first = await fetchOnce(); // warm-up: module loading, the first chart's fonts and layout
  const body = await first.arrayBuffer();
  const ms: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    await (await fetchOnce()).arrayBuffer();
    ms.push(performance.now() - t);
  }
  return { ms: ms.sort((a, b) => a - b), bytes: body.byteLength, status: first.status };
}

/** The same bytes from a server that does nothing else. */
async function bareServer(body: Buffer): Promise<{ url: string; server: Server }> {
  const server = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

async function main(): Promise<void> {
  const sizes = { runs: 50, versions: 20, driftReports: 1000 };
  const kit = await ConsoleTestKit.start(syntheticBackend(sizes));
  const rows: (string | number)[][] = [];
  let met = 0;
  try {
    const reader: SignedIn = await kit.signIn(TOKEN);
    for (const [name, path] of PAGES) {
      const page = await timed(() => reader.get(path));
      if (page.status !== 200) throw new Error(`${path} answered ${page.status}`);
      const body = Buffer.from(await (await reader.get(path)).arrayBuffer());
      const bare = await bareServer(body);
      const baseline = await timed(() => fetch(bare.url));
      bare.server.close();
      const p95 = percentile(page.ms, 95);
      if (p95 <= TARGET_P95_MS) met++;
      rows.push([
        name,
        formatNumber(page.bytes / 1024, 0),
        formatNumber(percentile(page.ms, 50), 1),
        formatNumber(p95, 1),
        formatNumber(percentile(baseline.ms, 95), 2),
        `${formatNumber(p95 / percentile(baseline.ms, 95), 0)}×`,
        p95 <= TARGET_P95_MS ? 'met' : 'NOT met',
      ]);
    }
  } finally {
    await kit.close();
  }
  process.stdout.write(
    `console pages, ${sizes.runs} runs, ${sizes.versions} versions, ${sizes.driftReports} drift reports; ${REQUESTS} requests each, one at a time\n`,
  );
  process.stdout.write(`${table(['page', 'KiB', 'p50 ms', 'p95 ms', 'bare p95 ms', 'p95 vs bare', `p95 ≤ ${TARGET_P95_MS} ms`], rows)}\n`);
  process.stdout.write(`target p95 ≤ ${TARGET_P95_MS} ms: met on ${met} of ${PAGES.length} pages\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
