import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../shared/errors';
import { compileMapping, loadMappings } from '../../shared/webhooks';
import { REPO, shippedRaw } from './helpers';

const root = mkdtempSync(join(tmpdir(), 'riposte-mappings-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** Writes the files into a fresh `<tmp>/<n>/mappings` and returns the ConfigError's problems. */
async function problemsOf(files: Record<string, string>): Promise<readonly string[]> {
  const dir = join(root, String((n += 1)), 'mappings');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  try {
    await loadMappings(dir);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.code, 'CONFIG_INVALID');
    return e.problems;
  }
  throw new Error('expected the mappings to fail');
}

describe('loadMappings', () => {
  it('loads the shipped mappings for all three sources', async () => {
    const m = await loadMappings(join(REPO, 'mappings'));
    assert.deepEqual([...m.keys()].sort(), ['generic', 'jira', 'servicenow']);
    const snow = m.get('servicenow');
    assert.equal(snow?.source, 'servicenow');
    if (snow?.source !== 'servicenow') return;
    assert.deepEqual(snow.status?.byRecordType.get('sn_si_incident')?.get('3'), { status: 'resolved' });
    assert.deepEqual(snow.classification?.from[0]?.map.get('resolved by caller'), {
      classification: 'informationalExpectedActivity',
      determination: 'confirmedActivity',
    });
    assert.ok(snow.echoActors.has('svc-riposte'));
  });

  it('a determination that does not suit its classification fails the load', async () => {
    const problems = await problemsOf({
      'jira.yaml': [
        'source: jira',
        'incidentId: [{ field: customfield_1 }]',
        'classification:',
        '  from:',
        '    - field: resolution.name',
        '      map:',
        '        False Positive: { classification: falsePositive, determination: malware }',
        '        Closed/Benign: { classification: informationalExpectedActivity, determination: phishing }',
        '  default: { classification: truePositive, determination: clean }',
      ].join('\n'),
    });
    assert.deepEqual(problems, [
      "mappings/jira.yaml: /classification/from/0/map/False Positive/determination: determination 'malware' is not allowed with classification 'falsePositive'; use one of: clean, insufficientData, other",
      "mappings/jira.yaml: /classification/from/0/map/Closed~1Benign/determination: determination 'phishing' is not allowed with classification 'informationalExpectedActivity'; use one of: securityTesting, lineOfBusinessApplication, confirmedActivity, other",
      "mappings/jira.yaml: /classification/default/determination: determination 'clean' is not allowed with classification 'truePositive'; use one of: multiStagedAttack, maliciousUserActivity, compromisedAccount, malware, phishing, unwantedSoftware, other",
    ]);
  });

  it('schema problems name the file and the JSON pointer', async () => {
    assert.deepEqual(
      await problemsOf({
        'jira.yaml':
          'source: jira\nincidentId: [{ field: customfield_1 }]\nstatus: { field: status.statusCategory.key, map: { done: closed } }\nassigne: { fields: [x] }\n',
      }),
      [
        'mappings/jira.yaml: /assigne: is not a known key here',
        'mappings/jira.yaml: /status/map/done: must be one of: active, inProgress, resolved',
      ],
    );
    assert.deepEqual(
      await problemsOf({
        'servicenow.yaml':
          "source: servicenow\nstatus: { field: state, map: { '8': { status: resolved, determination: other } } }\n",
      }),
      [
        'mappings/servicenow.yaml: /incidentId: is required',
        'mappings/servicenow.yaml: /status/map/8: must have property classification when property determination is present',
      ],
    );
    assert.deepEqual(
      await problemsOf({
        'servicenow.yaml':
          "source: servicenow\nincidentId: []\nassignee: { fields: [a.b], users: { x: not-a-upn } }\ncomments: { fields: ['work notes'] }\n",
      }),
      [
        'mappings/servicenow.yaml: /incidentId: must NOT have fewer than 1 items',
        'mappings/servicenow.yaml: /assignee/users/x: must be a UPN such as ana@contoso.com',
        'mappings/servicenow.yaml: /comments/fields/0: must be a field path such as assigned_to.email (no spaces, no empty parts)',
      ],
    );
    assert.deepEqual(
      await problemsOf({
        'generic.yaml': "source: generic\neventTypes: ['ticket updated', 'ticket.*']\n",
        'servicenow.yaml':
          "source: servicenow\nincidentId: [{ field: correlation_id }]\nresolution: { codeField: close_code, codeLabels: { a: '' } }\n",
      }),
      [
        'mappings/generic.yaml: /eventTypes/0: must be an event type such as ticket.updated, a prefix such as ticket.*, or *',
        'mappings/servicenow.yaml: /resolution/notesField: is required',
        'mappings/servicenow.yaml: /resolution/codeLabels/a: must NOT have fewer than 1 characters',
      ],
    );
    assert.deepEqual(await problemsOf({ 'generic.yaml': '- just a list\n' }), [
      'mappings/generic.yaml: /: must be object',
    ]);
    assert.deepEqual(await problemsOf({ 'generic.yaml': 'source: gitlab\n' }), [
      'mappings/generic.yaml: /source: must be one of: servicenow, jira, generic',
    ]);
  });

  it('bad regexes and table keys that collide in any case are reported together', async () => {
    const problems = await problemsOf({
      'jira.yaml': [
        'source: jira',
        "incidentId: [{ field: customfield_1 }, { field: summary, pattern: '(' }]",
        'status: { field: s, map: { Done: resolved, done: resolved, " DONE ": active } }',
        'assignee: { fields: [a], users: { Ana: a@x.io, ana: b@x.io } }',
      ].join('\n'),
    });
    assert.deepEqual(problems, [
      'mappings/jira.yaml: /incidentId/1/pattern: is not a valid regular expression (Invalid regular expression: /(/i: Unterminated group)',
      "mappings/jira.yaml: /status/map/done: duplicates 'Done' (keys are compared trimmed and in any case)",
      "mappings/jira.yaml: /status/map/ DONE : duplicates 'Done' (keys are compared trimmed and in any case)",
      "mappings/jira.yaml: /assignee/users/ana: duplicates 'Ana' (keys are compared trimmed and in any case)",
    ]);
  });

  it('file names must be source names and agree with `source`; YAML errors give the position; all files are checked', async () => {
    assert.deepEqual(
      await problemsOf({
        'generic.yaml': 'source: jira\nincidentId: [{ field: x }]\n',
        'foo.yaml': 'source: generic\n',
        'jira.yml': 'source: jira\nsource: jira\n',
        'README.md': '# not a mapping',
      }),
      [
        'mappings/foo.yaml: the file name must be a source name (servicenow.yaml, jira.yaml, generic.yaml)',
        "mappings/generic.yaml: /source: is 'jira' but the file is named for 'generic'",
        'mappings/jira.yml: Map keys must be unique at line 2, column 1',
      ],
    );
    assert.deepEqual(
      await problemsOf({ 'jira.yaml': 'source: jira\nincidentId: [{ field: x }]\n', 'jira.yml': 'source: jira\n' }),
      ["mappings/jira.yml: a second mapping for source 'jira'"],
    );
  });

  it('a missing directory is a ConfigError naming it', async () => {
    const dir = join(root, 'nope');
    await assert.rejects(loadMappings(dir), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.problems, [`mappings directory ${dir} cannot be read (ENOENT)`]);
      return true;
    });
  });

  it('compileMapping applies defaults and normalises tables', () => {
    const raw = shippedRaw('jira');
    delete raw.comments;
    delete raw.issueCreated;
    const m = compileMapping(raw, 'x.yaml');
    assert.equal(m.source, 'jira');
    if (m.source !== 'jira') return;
    assert.deepEqual(m.comments, { enabled: true, visibility: 'all', from: 'issue_updated' });
    assert.equal(m.applyIssueCreated, false);
    assert.ok(m.incidentId[1]?.pattern?.test('DEFENDER-12'));
    assert.deepEqual(m.classification?.from[1]?.map.get("won't do"), {
      classification: 'informationalExpectedActivity',
      determination: 'other',
    });
  });
});
