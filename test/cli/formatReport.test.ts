// The CLI's text report shows every change the run made: writes finished from an earlier attempt first (marked
// replayed), then each step's, counted in the totals; a Defender refusal shows its request id.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReport } from '../../cli/run';
import type { RunReport } from '../../shared/engine';

const report: RunReport = {
  runId: 'run-7',
  workflow: 'stale-incident-triage',
  trigger: 'cli',
  dryRun: false,
  status: 'failed',
  startedAt: '2026-03-01T12:00:00.000Z',
  finishedAt: '2026-03-01T12:00:01.000Z',
  durationMs: 1000,
  error: {
    code: 'DEFENDER_HTTP',
    message: 'steps[1] (mark): Defender API PATCH /security/incidents/12 failed: 400 BadRequest: Injected fault.',
    upstreamStatus: 400,
    requestId: 'c1d2e3f4-0000-4000-8000-000000000012',
  },
  resumedWrites: [
    { incidentId: '11', patch: {}, comment: 'Stale — [riposte:0a1b2c3d]', outcome: 'applied', replayed: true },
  ],
  steps: [
    {
      id: 'mark',
      kind: 'updateIncident',
      path: 'steps[1] (mark)',
      status: 'failed',
      executions: 2,
      durationMs: 900,
      counts: { updated: 1 },
      changes: [
        { incidentId: '10', patch: { tags: ['stale'] }, outcome: 'applied', replayed: true },
        { incidentId: '12', patch: { assignedTo: 'soc@contoso.com' }, outcome: 'applied' },
      ],
    },
  ],
};

describe('formatReport', () => {
  it('lists replayed writes, marks them, counts them, and quotes the request id', () => {
    const text = formatReport(report, 'sandbox');
    assert.match(
      text,
      /Writes an earlier attempt left pending, finished first:\n {7}incident 11: applied \(replayed from an earlier attempt\): comment\n/,
    );
    assert.match(text, /incident 10: applied \(replayed from an earlier attempt\): tags\n/);
    assert.match(text, /incident 12: applied: assignedTo\n/);
    assert.match(text, /^Changes: 3 applied \(2 replayed\)$/m);
    assert.match(
      text,
      /^Error: DEFENDER_HTTP: .*Injected fault\. \(request id c1d2e3f4-0000-4000-8000-000000000012\)$/m,
    );
  });

  it('names the target and the request of a response write (dry run included)', () => {
    const text = formatReport(
      {
        ...report,
        dryRun: true,
        status: 'succeeded',
        resumedWrites: [],
        steps: [
          {
            id: 'block',
            kind: 'submitIndicator',
            path: 'steps[0] (block)',
            status: 'dryRun',
            executions: 1,
            durationMs: 5,
            counts: { wouldSubmit: 1 },
            changes: [
              {
                incidentId: '3309',
                target: { kind: 'indicator', id: 'FileSha256:ab12' },
                patch: { indicatorValue: 'ab12', action: 'Block' },
                request: { method: 'POST', path: '/api/indicators', body: { indicatorValue: 'ab12' } },
                outcome: 'wouldApply',
              },
            ],
          },
        ],
      },
      'sandbox',
    );
    assert.match(
      text,
      /indicator FileSha256:ab12 \(incident 3309\): would apply: indicatorValue, action \[POST \/api\/indicators\]\n/,
    );
  });
});
