import { InvalidArgumentException, parseRequest } from '@flywheel/platform';
import { type z } from 'zod';
import {
  datasetRequest,
  getDatasetRequest,
  getVersionRequest,
  ingestRequest,
  streamChunkRequest,
  streamEndRequest,
} from './datasets.requests';

function violations(schema: z.ZodType, request: unknown): string[] {
  try {
    parseRequest(schema, request);
  } catch (error) {
    if (error instanceof InvalidArgumentException) return error.violations.map((v) => `${v.field}: ${v.reason}`);
    throw error;
  }
  return [];
}

describe('dataset request schemas', () => {
  it('requires a well-formed dataset name under the field the proto gives it', () => {
    expect(violations(getDatasetRequest, { name: '' })).toEqual(['name: is required']);
    expect(violations(getDatasetRequest, { name: 'Claims' })).toEqual(['name: must match ^[a-z][a-z0-9_-]{0,62}$']);
    expect(violations(datasetRequest, { dataset: '9lives' })).toEqual(['dataset: must match ^[a-z][a-z0-9_-]{0,62}$']);
    expect(parseRequest(datasetRequest, { dataset: 'claims' })).toEqual({ dataset: 'claims' });
  });

  it('accepts an empty batch id and names a bad one batch_id', () => {
    expect(parseRequest(ingestRequest, { dataset: 'claims', batchId: '' })).toEqual({ dataset: 'claims', batchId: '' });
    expect(parseRequest(ingestRequest, { dataset: 'claims', batchId: 'nightly:2025-01-01' })).toMatchObject({
      batchId: 'nightly:2025-01-01',
    });
    expect(violations(ingestRequest, { dataset: 'claims', batchId: 'has space' })).toEqual([
      'batch_id: must match ^[A-Za-z0-9._:-]{1,128}$',
    ]);
  });

  it('keeps a stream on the dataset of its first chunk', () => {
    expect(violations(streamChunkRequest('claims'), { dataset: '' })).toEqual([]);
    expect(violations(streamChunkRequest('claims'), { dataset: 'claims' })).toEqual([]);
    expect(violations(streamChunkRequest('claims'), { dataset: 'orders' })).toEqual([
      'dataset: must stay "claims" for the whole stream, got "orders"',
    ]);
    expect(violations(streamEndRequest, { dataset: undefined })).toEqual(['dataset: is required']);
  });

  it('takes version 0 (the latest) or a version number', () => {
    expect(parseRequest(getVersionRequest, { dataset: 'claims', version: 0 })).toEqual({ dataset: 'claims', version: 0 });
    expect(violations(getVersionRequest, { dataset: 'claims', version: -1 })).toEqual(['version: must be 0 (latest) or a version number']);
    expect(violations(getVersionRequest, { dataset: 'claims', version: 1.5 })).toEqual(['version: must be 0 (latest) or a version number']);
  });
});
