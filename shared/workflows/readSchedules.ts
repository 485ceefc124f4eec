// Which workflows run on a schedule, read synchronously when the Function App indexes its functions (timer
// registrations must exist before the first invocation). Only name and schedule are read here; the full
// validation runs on the first invocation, and a workflow that fails it never runs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

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
      const doc = parse(readFileSync(join(dir, file), 'utf8')) as { name?: unknown; triggers?: { schedule?: unknown } };
      if (typeof doc?.name === 'string' && typeof doc.triggers?.schedule === 'string') {
        out.push({ name: doc.name, schedule: doc.triggers.schedule, file });
      }
    } catch {
      // An unreadable file is reported by the full load, with its line and field.
    }
  }
  return out;
}

/** App setting that overrides a workflow's schedule: SCHEDULE_STALE_INCIDENT_TRIAGE for stale-incident-triage. */
export function scheduleSettingName(workflow: string): string {
  return `SCHEDULE_${workflow.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
