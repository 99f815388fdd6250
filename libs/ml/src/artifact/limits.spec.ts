import { Rng } from '../random/rng';
import { categoricalColumn, makeTable, numericColumn } from '../table/table';
import { fitModel } from './fit-model';
import { ArtifactError, type ModelArtifact, type SerializedTree } from './format';
import { MAX_JSON_NESTING, MAX_JSON_STRING_BYTES, maxJsonMembers } from './json-bounds';
import { ArtifactLimitError, type ArtifactLimits, DEFAULT_ARTIFACT_LIMITS } from './limits';
import { CompactModel, compactModelFromBytes, loadModel, transferablesOf } from './loaded-model';
import { resolveParams } from './params';

const now = new Date('2024-05-01T12:00:00Z');

function table(n: number) {
  const rng = new Rng(7);
  const a = Float64Array.from({ length: n }, () => rng.normal());
  const colour = Array.from({ length: n }, () => ['red', 'green', 'blue'][rng.nextInt(3)]);
  const yes = Array.from(a, (x, i) => (x + (colour[i] === 'red' ? 1 : 0) + rng.normal() > 0.5 ? 'yes' : 'no'));
  const kind = Array.from(a, (x) => (x > 0.5 ? 'high' : x > -0.5 ? 'mid' : 'low'));
  return makeTable([
    numericColumn('a', a),
    categoricalColumn('colour', colour),
    categoricalColumn('yes', yes),
    categoricalColumn('kind', kind),
  ]);
}

const data = table(300);
const features = ['a', 'colour'];
const gbdt = fitModel({ table: data, label: 'yes', algo: 'gbdt', params: { maxIter: 3 }, seed: 1, features, now });
const multiclass = fitModel({ table: data, label: 'kind', algo: 'logreg', seed: 1, features, now });

/** A mutable deep copy of `artifact`, as a crafted file would be parsed. */
function copy(artifact: ModelArtifact) {
  return JSON.parse(JSON.stringify(artifact));
}

/** A caterpillar tree: each split has a leaf on its left and the next split on its right; `depth` splits. */
function chainTree(depth: number): SerializedTree {
  const m = 2 * depth + 1;
  const tree = {
    feature: [] as number[],
    threshold: [] as number[],
    missingLeft: [] as number[],
    left: [] as number[],
    right: [] as number[],
    value: [] as number[],
  };
  for (let i = 0; i < m; i++) {
    const split = i % 2 === 0 && i < m - 1;
    tree.feature.push(split ? 0 : -1);
    tree.threshold.push(i / m);
    tree.missingLeft.push(0);
    tree.left.push(split ? i + 1 : -1);
    tree.right.push(split ? i + 2 : -1);
    tree.value.push(split ? 0 : 0.001);
  }
  return tree;
}

const limits = (overrides: Partial<ArtifactLimits>): ArtifactLimits => ({ ...DEFAULT_ARTIFACT_LIMITS, ...overrides });

function limitError(run: () => unknown): ArtifactLimitError {
  try {
    run();
  } catch (error) {
    if (error instanceof ArtifactLimitError) return error;
    throw error;
  }
  throw new Error('no limit was hit');
}

describe('artifact limits', () => {
  it('refuses more trees than maxTrees before reading any of them, naming the limit and the value', () => {
    const art = copy(gbdt);
    // Not even objects: the count is refused before a tree is looked at.
    art.model.trees = new Array(DEFAULT_ARTIFACT_LIMITS.maxTrees + 1).fill(0);
    const error = limitError(() => loadModel(art));
    expect(error.message).toBe('model artifact over its limits: model.trees: trees 10001, over the limit of 10000 (maxTrees)');
    expect([error.limit, error.value, error.max]).toEqual(['maxTrees', 10_001, 10_000]);
  });

  it('refuses a tree deeper than maxTreeDepth', () => {
    const art = copy(gbdt);
    art.model.trees[1] = chainTree(DEFAULT_ARTIFACT_LIMITS.maxTreeDepth + 1);
    expect(() => loadModel(art)).toThrow(
      'model artifact over its limits: model.trees[1]: tree depth 513, over the limit of 512 (maxTreeDepth)',
    );
    art.model.trees[1] = chainTree(DEFAULT_ARTIFACT_LIMITS.maxTreeDepth);
    expect(loadModel(art).predictRow({ a: 0.3, colour: 'red' }).prediction).toMatch(/^(yes|no)$/);
  });

  it('measures depth without recursion: a chain of 60 000 splits loads under a limit that allows it', () => {
    const art = copy(gbdt);
    art.model.trees = [chainTree(60_000)];
    const model = loadModel(art, limits({ maxTreeDepth: 60_000 }));
    expect(model.predictRow({ a: 2, colour: 'red' }).probability).toBeGreaterThan(0.5);
    expect(() => loadModel(art, limits({ maxTreeDepth: 59_999 }))).toThrow('tree depth 60000, over the limit of 59999');
  });

  it('refuses a huge node array by its length, before the other arrays of the tree are read', () => {
    const art = copy(gbdt);
    art.model.trees[0] = { feature: new Array(5_000_000).fill(-1) };
    expect(() => loadModel(art)).toThrow('model.trees[0].feature: nodes in one tree 5000000, over the limit of 131071 (maxNodesPerTree)');
  });

  it('counts the nodes of all trees together', () => {
    const art = copy(gbdt);
    const first = art.model.trees[0].feature.length;
    const error = limitError(() => loadModel(art, limits({ maxTotalNodes: first })));
    expect(error).toMatchObject({ path: 'model.trees[1]', limit: 'maxTotalNodes', max: first });
    expect(error.value).toBe(first + art.model.trees[1].feature.length);
  });

  it('refuses too many features, categories, classes and coefficients', () => {
    const wide = copy(gbdt);
    wide.preprocessing.steps = new Array(10_001).fill({});
    expect(() => loadModel(wide)).toThrow('preprocessing.steps: features 10001, over the limit of 10000 (maxFeatures)');
    expect(() => loadModel(gbdt, limits({ maxCategories: 2 }))).toThrow(
      'preprocessing.steps[1].categories: categories 3, over the limit of 2 (maxCategories)',
    );
    const classes = copy(multiclass);
    classes.label.classes = Array.from({ length: 10_001 }, (_, k) => `c${k}`);
    expect(() => loadModel(classes)).toThrow('label.classes: classes 10001, over the limit of 10000 (maxClasses)');
    // 3 classes × (a + 3 colours + unknown) inputs.
    expect(() => loadModel(multiclass, limits({ maxCoefficients: 14 }))).toThrow(
      'model.coef: coefficients 15, over the limit of 14 (maxCoefficients)',
    );
  });

  it('keeps every model the trainer can be asked for within the limits', () => {
    expect(() => resolveParams('gbdt', { maxIter: DEFAULT_ARTIFACT_LIMITS.maxTrees + 1 })).toThrow('parameter "maxIter"');
    expect(() => resolveParams('gbdt', { maxDepth: DEFAULT_ARTIFACT_LIMITS.maxTreeDepth + 1 })).toThrow('parameter "maxDepth"');
    expect(() => resolveParams('gbdt', { maxLeafNodes: (DEFAULT_ARTIFACT_LIMITS.maxNodesPerTree + 1) / 2 + 1 })).toThrow(
      'parameter "maxLeafNodes"',
    );
    expect(resolveParams('gbdt', { maxLeafNodes: 'none', maxDepth: 'none' })).toMatchObject({ maxLeafNodes: null, maxDepth: null });
  });
});

describe('compactModelFromBytes', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);

  it('predicts as the model loaded from the whole artifact, from parts whose arrays can move between threads', () => {
    for (const artifact of [gbdt, multiclass]) {
      const parts = compactModelFromBytes(bytes(JSON.stringify(artifact)));
      const buffers = transferablesOf(parts);
      expect(new Set(buffers).size).toBe(buffers.length);
      // What arrives on the other side of a thread: a structured clone of the parts.
      const model = new CompactModel(structuredClone(parts, { transfer: buffers }));
      const whole = loadModel(JSON.stringify(artifact));
      for (const row of [
        { a: 1, colour: 'red' },
        { a: -2, colour: null },
        { a: null, colour: 'violet' },
      ]) {
        expect(model.predictRow(row)).toEqual(whole.predictRow(row));
      }
    }
  });

  it('rejects bytes that are not UTF-8, not JSON, or nested JSON that is no artifact, with the reason', () => {
    expect(() => compactModelFromBytes(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]))).toThrow(new ArtifactError('is not UTF-8 text', '$'));
    expect(() => compactModelFromBytes(bytes('{"formatVersion": 1, "model": [1, 2'))).toThrow('model artifact is not valid JSON');
    expect(() => compactModelFromBytes(bytes(''))).toThrow('model artifact is not valid JSON');
    expect(() => compactModelFromBytes(bytes('[[{"a": []}]]'))).toThrow('invalid model artifact: $: must be an object');
    expect(() => compactModelFromBytes(bytes('{"formatVersion": 1, "algorithm": "gbdt", "task": "binary"}'))).toThrow(
      'invalid model artifact: label: must be an object',
    );
  });

  it('refuses what JSON.parse would allocate in one piece before parsing: long arrays and objects, long strings, deep nesting', () => {
    const members = maxJsonMembers(DEFAULT_ARTIFACT_LIMITS);
    expect(members).toBe(DEFAULT_ARTIFACT_LIMITS.maxNodesPerTree);
    const array = (n: number) => `{"padding": [${new Array(n).fill(0).join(',')}]}`;
    expect(() => compactModelFromBytes(bytes(array(members + 1)))).toThrow(
      `invalid model artifact: $: an array or object has more than ${members} members (at byte ${12 + 2 * members})`,
    );
    // At the bound, the artifact is parsed and judged on its content.
    expect(() => compactModelFromBytes(bytes(array(members)))).toThrow('formatVersion: unsupported version undefined');
    const object = `{${Array.from({ length: members + 1 }, (_, k) => `"k${k}":0`).join(',')}}`;
    expect(() => compactModelFromBytes(bytes(object))).toThrow(`more than ${members} members`);
    const long = `{"createdAt": "${'x'.repeat(MAX_JSON_STRING_BYTES + 1)}"}`;
    expect(() => compactModelFromBytes(bytes(long))).toThrow(`a string at byte 14 is longer than ${MAX_JSON_STRING_BYTES} bytes`);
    expect(() => compactModelFromBytes(bytes('['.repeat(100_000) + ']'.repeat(100_000)))).toThrow(
      `nested deeper than ${MAX_JSON_NESTING} levels at byte ${MAX_JSON_NESTING}`,
    );
  });

  it('refuses what JSON.parse would take more heap for than it may, before parsing, and parses what fits', () => {
    // 2 MB of small arrays of zeros: each slot and number at its largest, some 50 MB once parsed.
    const rows = new Array(1_000).fill(`[${new Array(1_000).fill(0).join(',')}]`);
    const padded = bytes(`{"formatVersion": 1, "padding": [${rows.join(',')}]}`);
    expect(() => compactModelFromBytes(padded, DEFAULT_ARTIFACT_LIMITS, 16 * 2 ** 20)).toThrow(
      /^invalid model artifact: \$: would take more than 16 MiB once parsed \(at byte \d+ of \d+\)$/,
    );
    // With room for it, the same bytes are parsed and judged on their content.
    expect(() => compactModelFromBytes(padded, DEFAULT_ARTIFACT_LIMITS, 64 * 2 ** 20)).toThrow(
      'invalid model artifact: algorithm: must be one of logreg, linear, gbdt, random_forest',
    );
    const text = JSON.stringify(gbdt);
    expect(compactModelFromBytes(bytes(text), DEFAULT_ARTIFACT_LIMITS, 40 * text.length).task).toBe(gbdt.task);
  });

  it('does not count what strings hold: quotes, commas and brackets in a string are text', () => {
    const art = copy(gbdt);
    art.label.name = `"${',['.repeat(20_000)}\\"`;
    const model = compactModelFromBytes(bytes(JSON.stringify(art)), limits({ maxNodesPerTree: 1_000, maxFeatures: 10, maxCategories: 10 }));
    expect(model.label.name).toBe(art.label.name);
  });

  it('applies the limits it is given', () => {
    expect(() => compactModelFromBytes(bytes(JSON.stringify(gbdt)), limits({ maxTrees: 2 }))).toThrow(ArtifactLimitError);
  });
});
