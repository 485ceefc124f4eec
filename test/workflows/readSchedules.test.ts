import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { readSchedulesSync, scanSchedule } from '../../shared/workflows/readSchedules';

const WORKFLOWS = join(__dirname, '..', '..', 'workflows');

function viaParser(text: string): { name: string; schedule: string } | undefined {
  const doc = parse(text) as { name?: string; triggers?: { schedule?: string } };
  return doc.name && doc.triggers?.schedule ? { name: doc.name, schedule: doc.triggers.schedule } : undefined;
}

describe('readSchedulesSync', () => {
  it('agrees with the YAML parser on every shipped workflow', () => {
    for (const f of readdirSync(WORKFLOWS).filter((x) => x.endsWith('.yaml'))) {
      const text = readFileSync(join(WORKFLOWS, f), 'utf8');
      assert.deepEqual(scanSchedule(text), viaParser(text), f);
    }
    const names = readSchedulesSync(WORKFLOWS).map((w) => w.name);
    assert.deepEqual(names, ['isolate-device-on-high-severity', 'stale-incident-triage', 'suspicious-powershell']);
  });

  it('handles quotes, comments and schedules nested elsewhere', () => {
    const text = [
      '# yaml-language-server: $schema=x',
      "name: 'nightly'",
      'description: a schedule: not this one',
      'steps:',
      '  - id: a',
      '    schedule: "0 0 1 * * *"',
      'triggers:',
      '  http: true',
      '  schedule: "0 30 2 * * *" # nightly',
    ].join('\n');
    assert.deepEqual(scanSchedule(text), { name: 'nightly', schedule: '0 30 2 * * *' });
    assert.equal(scanSchedule('name: x\ntriggers:\n  http: true\n'), undefined);
  });

  it('falls back to the parser for flow style and anchors', () => {
    assert.deepEqual(scanSchedule('name: f\ntriggers: { schedule: "0 */5 * * * *" }\n'), {
      name: 'f',
      schedule: '0 */5 * * * *',
    });
    assert.deepEqual(scanSchedule('name: &n a\ntriggers:\n  schedule: "0 0 * * * *"\n'), {
      name: 'a',
      schedule: '0 0 * * * *',
    });
  });
});
