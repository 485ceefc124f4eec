// jiraComment: adds a comment (ADF) to a Jira issue, the one given or each issue linked to the incident, at most
// once per issue and distinct text (or per delivery). The comment ends with Riposte's marker, so the Jira webhook's
// echo of it is recognised and not applied back to the incident (shared/webhooks/parseJira.ts).
import { AppError } from '../errors';
import { JIRA_ISSUE, type JiraClient } from '../notify/jira';
import { expectObject } from './common';
import {
  checkTicketInput,
  countOutcomes,
  linkedTickets,
  notifyOf,
  optionalIncidentId,
  overallOutcome,
  runTicketWrite,
  textOf,
} from './notifyCommon';
import { InputError } from '../errors';
import type { ActionModule, StepChange, StepResult, StepRuntime } from './types';

export interface JiraCommentInput {
  incidentId?: string;
  issue?: string;
  text: string;
}

function parse(value: unknown): JiraCommentInput {
  const obj = expectObject(value, ['incidentId', 'issue', 'text']);
  const incidentId = optionalIncidentId(obj);
  const issue = obj.issue === undefined || obj.issue === null || obj.issue === '' ? undefined : obj.issue;
  if (issue !== undefined && (typeof issue !== 'string' || !JIRA_ISSUE.test(issue.trim())))
    throw new InputError('issue', `issue must be a Jira issue key (SEC-42) or id, got ${JSON.stringify(issue)}`);
  if (issue === undefined && incidentId === undefined)
    throw new InputError('issue', 'set issue, or incidentId to comment on the issues linked to it');
  return {
    text: textOf(obj),
    ...(incidentId !== undefined ? { incidentId } : {}),
    ...(typeof issue === 'string' ? { issue: issue.trim() } : {}),
  };
}

function jiraOf(rt: StepRuntime): JiraClient {
  const jira = notifyOf(rt).jira;
  if (!jira) throw new AppError('CONFIG_INVALID', 'jiraComment needs JIRA_BASE_URL (and the JIRA_SECRET_NAME secret)');
  return jira;
}

async function run(input: JiraCommentInput, rt: StepRuntime): Promise<StepResult> {
  const jira = jiraOf(rt);
  const incidentId = input.incidentId ?? '';
  const issues = input.issue ? [input.issue] : await linkedTickets(rt, incidentId, JIRA_ISSUE);
  if (issues.length === 0) rt.logger.info('[jiraComment] no Jira issue linked to the incident', { incidentId });
  const changes: StepChange[] = [];
  for (const issue of issues) {
    changes.push(
      await runTicketWrite(
        {
          system: 'jira',
          id: issue,
          request: (text) => jira.preview(issue, text),
          send: async (text, signal) => void (await jira.addComment(issue, text, signal)),
          has: (marker, signal) => jira.hasComment(issue, marker, signal),
        },
        incidentId,
        input.text,
        rt,
      ),
    );
  }
  return {
    output: {
      issues: changes.map((c) => ({ issue: c.target?.id.slice('jira:'.length), outcome: c.outcome })),
      outcome: overallOutcome(changes),
    },
    counts: countOutcomes(changes, { notLinked: issues.length === 0 ? 1 : 0 }),
    changes,
  };
}

export const jiraComment: ActionModule<JiraCommentInput> = {
  check: checkTicketInput('issue', JIRA_ISSUE, 'a Jira issue key (SEC-42) or id'),
  parse,
  run,
};
