// The notification steps' input is checked when the workflow loads (literal values) and again at run time (after
// templates), each problem naming its field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../shared/errors';
import { ACTIONS } from '../../shared/steps';
import { problemsOf, workflowOf } from '../engine/fakes';

const wf = (step: string): string => `
name: t
triggers: { http: true }
input: { x: { type: string }, key: { type: string }, id: { type: string } }
steps:
  - ${step}
`;

describe('notification steps at workflow load', () => {
  it('a ticket step needs its ticket or an incident', () => {
    assert.deepEqual(problemsOf(wf('{ id: j, kind: jiraComment, input: { text: hi } }')), [
      'test.yaml: steps[0] (j).input: set issue (a Jira issue key (SEC-42) or id), or incidentId to write to the tickets linked to it',
    ]);
    assert.deepEqual(problemsOf(wf('{ id: s, kind: serviceNowWorkNote, input: { text: hi } }')), [
      'test.yaml: steps[0] (s).input: set ticket (a ServiceNow sys_id or number (INC0010001)), or incidentId to write to the tickets linked to it',
    ]);
  });

  it('literal ticket ids, table names, secret names and missing text are refused, naming the field', () => {
    for (const [step, field] of [
      ['{ id: j, kind: jiraComment, input: { issue: sec-42, text: hi } }', '.input.issue'],
      ['{ id: s, kind: serviceNowWorkNote, input: { ticket: 12345, text: hi } }', '.input.ticket'],
      ['{ id: s, kind: serviceNowWorkNote, input: { ticket: INC0010001, table: Incident, text: hi } }', '.input.table'],
      ['{ id: t, kind: notifyTeams, input: { text: hi, webhookSecret: "a/b" } }', '.input.webhookSecret'],
      ['{ id: t, kind: notifyTeams, input: { title: hi } }', '.input'],
      ['{ id: t, kind: notifyTeams, input: { text: hi, links: [{ title: x }] } }', '.input.links'],
    ] as const) {
      const problems = problemsOf(wf(step));
      assert.ok(
        problems.some((p) => p.includes(field)),
        `${step}: ${problems.join(' | ')}`,
      );
    }
  });

  it('valid inputs load, templates included', () => {
    workflowOf(
      wf(
        '{ id: t, kind: notifyTeams, input: { text: "hi ${ $input.x }", facts: { a: 1 }, links: [{ title: Open, url: "https://x.example/${ $input.x }" }] } }',
      ),
    );
    workflowOf(wf('{ id: j, kind: jiraComment, input: { issue: "${ $input.key }", text: hi } }'));
    workflowOf(wf('{ id: s, kind: serviceNowWorkNote, input: { incidentId: "${ $input.id }", text: hi } }'));
  });
});

describe('notification steps at run time (after templates)', () => {
  const parse = (kind: 'notifyTeams' | 'jiraComment' | 'serviceNowWorkNote', input: unknown): InputError => {
    try {
      ACTIONS[kind].parse(input, 'graph');
    } catch (e) {
      assert.ok(e instanceof InputError, String(e));
      return e;
    }
    throw new Error('expected an InputError');
  };

  it('names the field of a bad evaluated value', () => {
    assert.equal(
      parse('notifyTeams', { text: 'x', links: [{ title: 'a', url: 'http://plain.example' }] }).field,
      'links[0].url',
    );
    assert.equal(parse('notifyTeams', { text: '  ' }).field, 'text');
    assert.equal(parse('notifyTeams', { text: 'x', facts: 'a' }).field, 'facts');
    assert.equal(parse('jiraComment', { issue: 'not a key', text: 'x' }).field, 'issue');
    assert.equal(parse('jiraComment', { text: 'x' }).field, 'issue');
    assert.equal(parse('serviceNowWorkNote', { ticket: 'INC1', text: 'x' }).field, 'ticket');
    assert.equal(parse('serviceNowWorkNote', { ticket: 'INC0010001', table: 'x;y', text: 'x' }).field, 'table');
  });
});
