import { type ChunkReader, type commonV1, ObjectReadError, readObjectChunks, trainerV1 } from '@flywheel/contracts';
import { type TrainerCalls } from '../../backend';
import { errorView, type Viewer } from '../../views/layout';
import { ok, PAGE, type PageResult, type PageRoute } from '../page';
import { sortFromQuery, sortRuns } from './runs.sort';
import { formatBytes } from '../../format';
import { COMPARE_LIMITS, isRunArtifactName, RUN_ARTIFACTS } from './runs.values';
import { compareView, runsView, runView } from './runs.view';

/** The largest artifact the console hands over: it holds the whole file in memory to send it. */
export const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;

type ReadOutcome = { object: commonV1.ObjectRef; bytes: Buffer } | { refused: number; message: string };

/**
 * An object read whole (the shared reader checks each piece and the sha256), refused as soon as
 * it shows itself larger than `limit`: 413 for that, 502 when the service's pieces are not the
 * object they say they are.
 */
export async function readObject(read: ChunkReader, limit: number): Promise<ReadOutcome> {
  const pieces: Uint8Array[] = [];
  try {
    const object = await readObjectChunks(read, (data) => pieces.push(data), { maxBytes: limit });
    return { object, bytes: Buffer.concat(pieces) };
  } catch (error) {
    if (!(error instanceof ObjectReadError)) throw error;
    return error.tooLarge
      ? { refused: 413, message: `the console hands over at most ${formatBytes(limit)}` }
      : { refused: 502, message: error.message };
  }
}

async function downloadArtifact(trainer: TrainerCalls, runId: string, name: string, viewer: Viewer): Promise<PageResult> {
  const title = `Run ${runId}: ${name}`;
  if (!isRunArtifactName(name))
    return {
      status: 404,
      body: errorView(title, `A run has no artifact "${name}"; it has ${Object.keys(RUN_ARTIFACTS).join(' and ')}.`, viewer),
    };
  const artifact = RUN_ARTIFACTS[name].kind;
  const outcome = await readObject(
    async (offset) => (await trainer.readRunArtifact({ runId, artifact, offset, maxBytes: 0 })).chunk,
    MAX_ARTIFACT_BYTES,
  );
  if ('refused' in outcome)
    return { status: outcome.refused, body: errorView(title, `Cannot download the ${name}: ${outcome.message}.`, viewer) };
  const file = outcome.object.key.split('/').pop() || name;
  return {
    status: 200,
    download: { name: `${runId}-${file}`, contentType: outcome.object.contentType || 'application/octet-stream', bytes: outcome.bytes },
  };
}

/** The runs the address names (`?run=a&run=b`), each once, in the order given. */
function runIdsOf(query: URLSearchParams): string[] {
  const named = query.getAll('run').map((id) => id.trim());
  return [...new Set(named.filter(Boolean))];
}

export const RUN_PAGES: readonly PageRoute[] = [
  {
    pattern: /^\/runs$/,
    title: 'Runs',
    async render({ backend, token, viewer, query }) {
      const model = (query.get('model') ?? '').trim();
      const { runs } = await backend.trainer(token).listRuns({
        modelName: model,
        status: trainerV1.RunStatus.RUN_STATUS_UNSPECIFIED,
        page: PAGE,
        parentRunId: '',
      });
      const sort = sortFromQuery(query);
      return ok(runsView(sortRuns(runs, sort), sort, model, viewer));
    },
  },
  // Before `/runs/:id`, which would take `compare` for a run id.
  {
    pattern: /^\/runs\/compare$/,
    title: 'Compare runs',
    async render({ backend, token, viewer, query }) {
      const runIds = runIdsOf(query);
      if (runIds.length < COMPARE_LIMITS.min || runIds.length > COMPARE_LIMITS.max)
        return {
          status: 400,
          body: errorView(
            'Compare runs',
            `Choose ${COMPARE_LIMITS.min} to ${COMPARE_LIMITS.max} runs to compare; ${runIds.length} ${runIds.length === 1 ? 'was' : 'were'} chosen.`,
            viewer,
          ),
        };
      return ok(compareView(await backend.trainer(token).compareRuns({ runIds }), viewer));
    },
  },
  {
    pattern: /^\/runs\/([^/]+)$/,
    title: 'Run',
    async render({ backend, token, viewer }, [runId]) {
      const { run } = await backend.trainer(token).getRun({ runId });
      if (!run) return { status: 404, body: errorView('Run', `Not found: run ${runId}`, viewer) };
      return ok(runView(run, viewer));
    },
  },
  {
    pattern: /^\/runs\/([^/]+)\/artifacts\/([^/]+)$/,
    title: 'Run artifact',
    render: ({ backend, token, viewer }, [runId, name]) => downloadArtifact(backend.trainer(token), runId, name, viewer),
  },
];
