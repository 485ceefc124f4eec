// The Graph Timespan forms (runHuntingQuery, defender-api.md §2.1) parsed into windows, and what is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../shared/errors';
import { parseHuntingTimespan } from '../../shared/queries/huntingTimespan';

const now = new Date('2024-02-15T08:00:00.000Z');

describe('parseHuntingTimespan', () => {
  it("reads the doc's five forms", () => {
    // The examples of GD api/security-security-runhuntingquery.md.
    assert.deepEqual(parseHuntingTimespan('P90D', now), {
      start: '2023-11-17T08:00:00.000Z',
      end: '2024-02-15T08:00:00.000Z',
    });
    assert.deepEqual(parseHuntingTimespan('P30D/2024-02-15T08:00:00Z', now), {
      start: '2024-01-16T08:00:00.000Z',
      end: '2024-02-15T08:00:00Z',
    });
    assert.deepEqual(parseHuntingTimespan('2024-02-01T08:00:00Z/2024-02-15T08:00:00Z', now), {
      start: '2024-02-01T08:00:00Z',
      end: '2024-02-15T08:00:00Z',
    });
    assert.deepEqual(parseHuntingTimespan('2024-02-01T08:00:00Z/P30D', now), {
      start: '2024-02-01T08:00:00Z',
      end: '2024-03-02T08:00:00.000Z',
    });
    assert.deepEqual(parseHuntingTimespan('2024-02-01T08:00:00Z', now), {
      start: '2024-02-01T08:00:00Z',
      end: '2024-02-15T08:00:00.000Z',
    });
  });

  it('takes weeks, hours, minutes, fractional seconds, offsets and 7 fractional digits', () => {
    assert.equal(parseHuntingTimespan('P1W', now).start, '2024-02-08T08:00:00.000Z');
    assert.equal(parseHuntingTimespan('PT1H30M', now).start, '2024-02-15T06:30:00.000Z');
    assert.equal(parseHuntingTimespan('PT0.5S', now).start, '2024-02-15T07:59:59.500Z');
    assert.equal(parseHuntingTimespan('P1DT12H', now).start, '2024-02-13T20:00:00.000Z');
    assert.deepEqual(parseHuntingTimespan('2024-02-15T09:00:00+01:00/PT1H', now), {
      start: '2024-02-15T09:00:00+01:00',
      end: '2024-02-15T09:00:00.000Z',
    });
    assert.equal(parseHuntingTimespan('2024-02-15T07:00:00.1234567Z', now).start, '2024-02-15T07:00:00.1234567Z');
  });

  it('refuses months, years, zone-less times, two durations, reversed and malformed intervals', () => {
    for (const [text, why] of [
      ['P1M', /months or years/],
      ['P1Y', /months or years/],
      ['2024-02-01T00:00:00Z/P1M', /months or years/],
      ['2024-02-01T08:00:00', /needs a time zone/],
      ['P1D/P2D', /not a duration, an instant or an interval/],
      ['2024-02-15T00:00:00Z/2024-02-01T00:00:00Z', /ends before it starts/],
      ['2024-02-30T00:00:00Z', /not a valid calendar date/],
      ['P', /not a duration/],
      ['PT', /not a duration/],
      ['P1DT', /not a duration/],
      ['last week', /not a duration/],
      ['', /is empty/],
      ['a/b/c', /more than two parts/],
      ['P1D) | take 1', /not a duration/],
    ] as const) {
      assert.throws(
        () => parseHuntingTimespan(text, now),
        (e: unknown) => e instanceof InputError && e.field === 'timespan' && why.test(e.message),
        text,
      );
    }
  });
});
