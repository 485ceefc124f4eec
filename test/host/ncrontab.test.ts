import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNcrontab } from '../../host/ncrontab';

const next = (expr: string, after: string) => parseNcrontab(expr).next(new Date(after)).toISOString();

describe('parseNcrontab', () => {
  it('reads six fields with seconds, in UTC, strictly after the given time', () => {
    assert.equal(next('*/1 * * * * *', '2024-03-01T10:00:00.000Z'), '2024-03-01T10:00:01.000Z');
    assert.equal(next('0 */5 * * * *', '2024-03-01T10:05:00.000Z'), '2024-03-01T10:10:00.000Z');
    assert.equal(next('30 0 9 * * *', '2024-03-01T10:00:00Z'), '2024-03-02T09:00:30.000Z');
  });

  it('takes five fields as minute-based with second 0', () => {
    assert.equal(next('*/15 * * * *', '2024-03-01T10:01:00Z'), '2024-03-01T10:15:00.000Z');
  });

  it('numbers days of week 0-6 from Sunday and rejects 7', () => {
    // 2024-03-03 is a Sunday.
    assert.equal(next('0 0 12 * * 0', '2024-03-01T00:00:00Z'), '2024-03-03T12:00:00.000Z');
    assert.throws(() => parseNcrontab('0 0 12 * * 7'), /out of range 0-6/);
  });

  it('accepts day and month names by their first three letters, in any case', () => {
    assert.equal(next('0 0 8 * * MON-FRI', '2024-03-02T00:00:00Z'), '2024-03-04T08:00:00.000Z');
    assert.equal(next('0 0 8 * * saturday', '2024-03-01T00:00:00Z'), '2024-03-02T08:00:00.000Z');
    assert.equal(next('0 0 0 1 Jun *', '2024-03-01T00:00:00Z'), '2024-06-01T00:00:00.000Z');
    assert.throws(() => parseNcrontab('0 0 0 * * Mo'), /invalid day-of-week/);
  });

  it('requires BOTH day of month and day of week when both are restricted', () => {
    // Classic cron would fire on every Friday OR every 13th; NCrontab only on Friday the 13th (2024-09-13).
    assert.equal(next('0 0 0 13 * FRI', '2024-01-01T00:00:00Z'), '2024-09-13T00:00:00.000Z');
  });

  it('reads a/n as a-max/n and finds the previous occurrence', () => {
    assert.equal(next('5/20 * * * * *', '2024-03-01T10:00:06Z'), '2024-03-01T10:00:25.000Z');
    assert.equal(
      parseNcrontab('0 0 * * * 1').prev(new Date('2024-03-06T10:30:00Z')).toISOString(),
      '2024-03-04T23:00:00.000Z',
    );
  });

  it('rejects what NCrontab does not know', () => {
    for (const bad of [
      '* * * * *  * *',
      '0 0 0 L * *',
      '0 0 0 ? * *',
      '60 * * * * *',
      '0 0 24 * * *',
      '0 0 0 * * 1#2',
    ]) {
      assert.throws(() => parseNcrontab(bad), Error, bad);
    }
  });
});
