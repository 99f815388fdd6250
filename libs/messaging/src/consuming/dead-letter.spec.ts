import { EventDecodeError } from '@flywheel/contracts';
import { buildDeadLetter, DeadLetterHeaders, MAX_ERROR_HEADER_BYTES } from './dead-letter';
import { type ConsumedRecord } from './consumed-record';

const record: ConsumedRecord = {
  topic: 'flywheel.trainer.events',
  partition: 2,
  offset: '41',
  timestamp: '1700000000000',
  key: Buffer.from('run-1'),
  value: Buffer.from([0x0a, 0x05]),
  headers: { ce_type: 'flywheel.trainer.v1.RunCompleted' },
  rawHeaders: { ce_type: Buffer.from('flywheel.trainer.v1.RunCompleted'), 'x-flywheel-attempts': '9' },
};

describe('buildDeadLetter', () => {
  const failedAt = new Date('2026-01-02T03:04:05.678Z');

  it('keeps the original key, value and headers and adds where and why it failed', () => {
    const letter = buildDeadLetter(record, {
      error: new EventDecodeError('invalid-payload', 'value', 'not a valid flywheel.trainer.v1.RunCompleted'),
      consumer: 'registry.run-completed',
      attempts: 1,
      failedAt,
    });
    expect(letter.key).toBe(record.key);
    expect(letter.value).toBe(record.value);
    expect(letter.headers).toEqual({
      ce_type: record.rawHeaders.ce_type,
      [DeadLetterHeaders.error]: 'value: not a valid flywheel.trainer.v1.RunCompleted',
      [DeadLetterHeaders.errorClass]: 'EventDecodeError',
      [DeadLetterHeaders.consumer]: 'registry.run-completed',
      [DeadLetterHeaders.originalTopic]: 'flywheel.trainer.events',
      [DeadLetterHeaders.originalPartition]: '2',
      [DeadLetterHeaders.originalOffset]: '41',
      [DeadLetterHeaders.attempts]: '1',
      [DeadLetterHeaders.failedAt]: '2026-01-02T03:04:05.678Z',
    });
  });

  it('names the class of a plain error and of a non-error', () => {
    class RegistryUnavailable extends Error {}
    const letter = buildDeadLetter(record, { error: new RegistryUnavailable('down'), consumer: 'c', attempts: 5, failedAt });
    expect(letter.headers[DeadLetterHeaders.errorClass]).toBe('RegistryUnavailable');
    expect(buildDeadLetter(record, { error: 'boom', consumer: 'c', attempts: 5, failedAt }).headers[DeadLetterHeaders.errorClass]).toBe(
      'string',
    );
  });

  it('cuts a huge error message on a character boundary', () => {
    const letter = buildDeadLetter(record, { error: new Error('é'.repeat(10_000)), consumer: 'c', attempts: 1, failedAt });
    const text = letter.headers[DeadLetterHeaders.error] as string;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_ERROR_HEADER_BYTES);
    expect(text.endsWith('é…')).toBe(true);
    expect(text).not.toContain('\uFFFD');
  });
});
