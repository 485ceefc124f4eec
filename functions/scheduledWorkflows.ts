import { app, type InvocationContext, type Timer } from '@azure/functions';
import { join } from 'node:path';
import type { Automation } from '../shared/automation';
import { findAppRoot } from '../shared/config';
import { loggerFromContext } from '../shared/logger';
import { readSchedulesSync, scheduleSettingName } from '../shared/workflows/readSchedules';
import { getAutomation as defaultGetAutomation, runScheduled } from './lib/lazy';

/** One timer per scheduled workflow file, so each has its own schedule, singleton lock and run history. */
export function makeScheduledWorkflow(name: string, getAutomation: () => Promise<Automation> = defaultGetAutomation) {
  return async (timer: Timer, ctx: InvocationContext): Promise<void> => {
    await runScheduled(await getAutomation(), name, { isPastDue: timer.isPastDue, logger: loggerFromContext(ctx) });
  };
}

const contentDir = process.env.CONTENT_DIR || findAppRoot(__dirname);
for (const { name, schedule } of readSchedulesSync(join(contentDir, 'workflows'))) {
  app.timer(`workflow-${name}`, {
    // An app setting can move a schedule without editing the reviewed file.
    schedule: process.env[scheduleSettingName(name)] || schedule,
    handler: makeScheduledWorkflow(name),
  });
}
