import { feedbackCsv } from './feedback.command';

describe('flywheel feedback --file', () => {
  it('reads request ids, labels typed as written, and optional label times', () => {
    const text = 'label,request_id,label_time\nTrue,r-1,2026-11-30T08:00:00Z\n0.25,r-2,\nno,"r,3",\n,r-4,\n';
    expect(feedbackCsv(text, 'labels.csv')).toEqual([
      { requestId: 'r-1', label: { boolValue: true }, labelTime: new Date('2026-11-30T08:00:00Z') },
      { requestId: 'r-2', label: { numberValue: 0.25 }, labelTime: undefined },
      { requestId: 'r,3', label: { stringValue: 'no' }, labelTime: undefined },
      // Left for the deployer to refuse with its reason, beside the others.
      { requestId: 'r-4', label: undefined, labelTime: undefined },
    ]);
  });

  it('names the file, line and column of what it cannot read', () => {
    expect(() => feedbackCsv('', 'l.csv')).toThrow('l.csv: the file is empty');
    expect(() => feedbackCsv('id,label\nr-1,true\n', 'l.csv')).toThrow(
      'l.csv: the header must name request_id and label (and may name label_time), got id,label',
    );
    expect(() => feedbackCsv('request_id,label\nr-1,true,extra\n', 'l.csv')).toThrow('l.csv:2: 3 fields, the header has 2');
    expect(() => feedbackCsv('request_id,label,label_time\nr-1,true,yesterday\n', 'l.csv')).toThrow(
      'l.csv:2: label_time: expected an RFC 3339 instant such as 2026-11-01T12:00:00Z, got "yesterday"',
    );
  });
});
