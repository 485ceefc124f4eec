// Which workflows run on a schedule, read synchronously when the Function App indexes its functions (timer
// registrations must exist before the first invocation). Only name and schedule are read here; the full
// validation runs on the first invocation, and a workflow that fails it never runs.
// The block-style files we ship are read with a line scanner, because loading the YAML parser here costs most of
// the app's cold start; anything the scanner does not recognise (flow style, anchors) falls back to the parser.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ScheduledWorkflow {
  name: string;
  schedule: string;
  file: string;
}

export function readSchedulesSync(dir: string): ScheduledWorkflow[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/i.test(f))
      .sort();
  } catch {
    return [];
  }
  const out: ScheduledWorkflow[] = [];
  for (const file of files) {
    try {
      const found = scanSchedule(readFileSync(join(dir, file), 'utf8'));
      if (found) out.push({ ...found, file });
    } catch {
      // An unreadable file is reported by the full load, with its line and field.
    }
  }
  return out;
}

const scalar = (raw: string): string | undefined => {
  const v = raw.replace(/\s+#.*$/, '').trim();
  const quoted = /^(["'])(.*)\1$/.exec(v);
  if (quoted) return quoted[2];
  return v === '' || /^[[{&*!|>]/.test(v) ? undefined : v;
};

/** Top-level `name:` and `schedule:` inside the top-level `triggers:` block; the YAML parser when unsure. */
export function scanSchedule(text: string): { name: string; schedule: string } | undefined {
  let name: string | undefined;
  let schedule: string | undefined;
  let inTriggers = false;
  let unsure = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(#.*)?$/.test(line) || line.startsWith('---')) continue;
    const top = /^([A-Za-z_][\w-]*):(.*)$/.exec(line);
    if (top) {
      inTriggers = top[1] === 'triggers';
      if (top[1] === 'name') {
        name = scalar(top[2] ?? '');
        if (name === undefined) unsure = true;
      }
      if (inTriggers && (top[2] ?? '').trim() !== '' && !/^\s*#/.test(top[2] ?? '')) unsure = true;
      continue;
    }
    const nested = /^\s+schedule:(.*)$/.exec(line);
    if (inTriggers && nested && /^ {2}\S/.test(line)) {
      schedule = scalar(nested[1] ?? '');
      if (schedule === undefined) unsure = true;
    }
  }
  if (unsure || name === undefined) return parsedSchedule(text);
  return schedule === undefined ? undefined : { name, schedule };
}

function parsedSchedule(text: string): { name: string; schedule: string } | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse } = require('yaml') as typeof import('yaml');
  const doc = parse(text) as { name?: unknown; triggers?: { schedule?: unknown } } | null;
  return typeof doc?.name === 'string' && typeof doc.triggers?.schedule === 'string'
    ? { name: doc.name, schedule: doc.triggers.schedule }
    : undefined;
}

/** App setting that overrides a workflow's schedule: SCHEDULE_STALE_INCIDENT_TRIAGE for stale-incident-triage. */
export function scheduleSettingName(workflow: string): string {
  return `SCHEDULE_${workflow.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
