// The workflow file's JSON Schema, built here once and published as schemas/workflow.schema.json (a test keeps the
// two identical; `npx tsx shared/workflows/writeSchema.ts` regenerates the file). Draft-07 because editors'
// YAML language servers support it best; `discriminator` (ajv, OpenAPI style) picks the step branch by `kind` so an
// error names the one kind that was meant rather than every kind that did not match.
import {
  ALERT_CLASSIFICATIONS,
  ALERT_DETERMINATIONS,
  ALERT_SERVICE_SOURCES,
  ALERT_SEVERITIES,
  ALERT_STATUSES,
} from '../defender/alertTypes';
import { INDICATOR_ACTIONS, INDICATOR_SEVERITIES, INDICATOR_TYPES } from '../defender/indicatorTypes';
import { CLASSIFICATIONS, DETERMINATIONS, INCIDENT_STATUSES, SEVERITIES } from '../defender/types';

export const STEP_KINDS = [
  'hunt',
  'listIncidents',
  'getIncident',
  'updateIncident',
  'comment',
  'listAlerts',
  'getAlert',
  'updateAlert',
  'commentAlert',
  'isolateDevice',
  'releaseDevice',
  'runAntivirusScan',
  'collectInvestigationPackage',
  'restrictAppExecution',
  'unrestrictAppExecution',
  'stopAndQuarantineFile',
  'submitIndicator',
  'removeIndicator',
  'set',
  'revokeUserSessions',
  'disableUser',
  'enableUser',
  'confirmUserCompromised',
  'confirmUserSafe',
  'forEach',
  'if',
  'stop',
  'notifyTeams',
  'jiraComment',
  'serviceNowWorkNote',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];
export const WEBHOOK_SOURCES = ['servicenow', 'jira', 'generic'] as const;
export const INPUT_TYPES = ['string', 'integer', 'number', 'boolean', 'array', 'object'] as const;
export const SETTABLE_STATUSES = ['active', 'inProgress', 'resolved', 'redirected'] as const;
export const MAX_CONCURRENCY = 16;
export const DEFAULT_CONCURRENCY = 4;

export const NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
export const STEP_ID_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
/** Input field names follow the same rule as step ids. */
export const INPUT_NAME_PATTERN = STEP_ID_PATTERN;
export const TEMPLATE_PATTERN = '\\$\\{';
export const ALERT_ID_PATTERN = '^[A-Za-z0-9_-]{1,200}$';
/** Key Vault secret names: 1-127 letters, digits and dashes. */
export const SECRET_NAME_PATTERN = '^[0-9A-Za-z-]{1,127}$';
/** Step kinds that run only after approval unless the step says `approval: none` (ActionModule.destructive). */
export const APPROVAL_KINDS: readonly StepKind[] = [
  'disableUser',
  'isolateDevice',
  'restrictAppExecution',
  'stopAndQuarantineFile',
  'submitIndicator',
];
export const DURATION_PATTERN = '^P(?!$)(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+S)?)?$';

/** Human wording for the schema's patterns, used in error messages instead of the regex. */
export const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  [NAME_PATTERN]: 'must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit',
  [STEP_ID_PATTERN]:
    'must be 1-64 letters, digits or underscores, not starting with a digit (it is referenced as $steps.<id> or $input.<name>)',
  [TEMPLATE_PATTERN]: 'must be a ${ … } template',
  [ALERT_ID_PATTERN]: 'must be an alert id: 1-200 letters, digits, _ or - (e.g. da637551227677560813_-961444813)',
  [SECRET_NAME_PATTERN]: 'must be a Key Vault secret name: 1-127 letters, digits or dashes',
  [DURATION_PATTERN]: "must be an ISO-8601 duration in days, hours, minutes or seconds, e.g. 'PT5M' or 'P1D'",
};

const TEMPLATE_HELP =
  'Values can be computed with ${ … } templates holding a JSONata expression (https://jsonata.org). A value that is ' +
  "exactly one template keeps the result's type (list, number, object); otherwise the results are inserted as text. " +
  'Available: $input (the trigger input), $steps.<id> (outputs of earlier steps), $item and $index (inside forEach), ' +
  '$workflow (name), $run (id, trigger, dryRun, window.start, window.end) and $now(). Write $${ for a literal ${.';
const EXPRESSION_HELP =
  'A JSONata expression (https://jsonata.org), written bare or as ${ … }. Available: $input, $steps.<id> (earlier steps), ' +
  '$item and $index (inside forEach), $workflow, $run and $now(). $eval is not allowed.';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const expressionField = (description: string): Schema => ({
  type: 'string',
  minLength: 1,
  description: `${description} ${EXPRESSION_HELP}`,
});
// The template branch is inlined rather than a $ref so that error paths stay inside the anyOf (see loadWorkflow).
const templateSchema = (): Schema => ({ type: 'string', pattern: TEMPLATE_PATTERN, description: TEMPLATE_HELP });
const orTemplate = (schema: Schema, description: string): Schema => ({
  description,
  anyOf: [schema, templateSchema()],
});

function stepBranch(kind: StepKind, description: string, input: Schema | undefined, inputRequired = true): Schema {
  const properties: Record<string, Schema> = {
    id: ref('stepId'),
    kind: { const: kind, description },
    description: { type: 'string', description: 'What the step is for (shown in reviews and run reports).' },
    if: expressionField('Run the step only when this is true; otherwise it is reported as skipped.'),
    onError: {
      enum: ['fail', 'continue'],
      default: 'fail',
      description: "'fail' (default) ends the run when the step fails; 'continue' records the failure and goes on.",
    },
  };
  const required = ['id', 'kind'];
  if (APPROVAL_KINDS.includes(kind)) properties.approval = approvalSchema;
  if (input) {
    properties.input = input;
    if (inputRequired) required.push('input');
  }
  return { type: 'object', additionalProperties: false, required, properties };
}

const approvalSchema: Schema = {
  description:
    "A destructive action runs only after a person approves it. 'none' runs it at once; otherwise how to ask (default: APPROVAL_* settings).",
  oneOf: [
    { const: 'none', description: 'Run without asking.' },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        teams: {
          type: 'string',
          pattern: SECRET_NAME_PATTERN,
          description:
            'Key Vault secret holding a Teams Workflows webhook URL ("When a Teams webhook request is received"): the approval card goes there.',
        },
        callback: {
          type: 'string',
          pattern: SECRET_NAME_PATTERN,
          description:
            'Key Vault secret holding an HTTPS URL: the approval request (what will happen, approve and reject URLs) is POSTed there.',
        },
        expiresIn: {
          type: 'string',
          pattern: DURATION_PATTERN,
          description: 'How long the approver has (ISO-8601, e.g. PT1H); no decision by then counts as rejection.',
        },
      },
    },
  ],
};

const userInput = (forApproval: boolean): Schema => ({
  type: 'object',
  additionalProperties: false,
  required: ['user'],
  properties: {
    user: orTemplate(
      { type: 'string', minLength: 1 },
      'The user: Entra object id (userEvidence.userAccount.azureAdUserId) or user principal name, usually a template.',
    ),
    incidentId: {
      ...incidentId,
      description: `The incident this concerns (for the report${forApproval ? ' and the approval page' : ''}).`,
    },
  },
});

const incidentId = orTemplate(
  { type: ['string', 'integer'] },
  'The incident id (Graph id / legacy incidentId), usually a template such as ${ $item.id }.',
);

const enumOrTemplate = (values: readonly string[], description: string): Schema =>
  orTemplate({ enum: [...values] }, description);

const alertId = orTemplate(
  { type: 'string', pattern: ALERT_ID_PATTERN },
  'The alert id (e.g. da637551227677560813_-961444813), usually a template such as ${ $item.id }.',
);
/** The device and follow-up inputs every device-action step takes, plus its own `extra` fields. */
function deviceInput(extra: Record<string, Schema> = {}, required: string[] = []): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['comment', ...required],
    properties: {
      deviceId: orTemplate(
        { type: 'string', pattern: '^[0-9a-fA-F]{40}$' },
        'The Defender for Endpoint machine id (40 hex digits): DeviceId in hunting results, mdeDeviceId in evidence. Give one of deviceId, deviceName, aadDeviceId.',
      ),
      deviceName: orTemplate(
        { type: 'string', minLength: 1 },
        'The device name (computerDnsName; DeviceName in hunting results), resolved to its machine id.',
      ),
      aadDeviceId: orTemplate(
        { type: 'string', pattern: '^[0-9a-fA-F-]{36}$' },
        'The Entra device id (AadDeviceId, azureAdDeviceId), resolved to its machine id.',
      ),
      comment: {
        type: 'string',
        minLength: 1,
        description: "The action's Comment, shown in the portal's action center; Riposte appends its marker.",
      },
      wait: orTemplate(
        { type: 'integer', minimum: 0, maximum: 600 },
        'Seconds to follow the action within the run (default 30); an action still open then is checked later and its outcome recorded.',
      ),
      ...extra,
    },
  };
}

const indicatorValue: Schema = {
  type: 'string',
  minLength: 1,
  description:
    'The file hash (MD5, SHA-1, SHA-256), certificate thumbprint, IP address, domain or URL; usually a template such as ${ $item.sha256 }. No CIDR ranges or wildcards.',
};
const indicatorType = enumOrTemplate(
  INDICATOR_TYPES,
  'The indicator type; inferred from the value when left out (a 40-hex value needs it: FileSha1 or CertificateThumbprint).',
);
const reportIncident = orTemplate(
  { type: ['string', 'integer'] },
  'The incident this indicator is for: the run report names it with the change (optional).',
);
const tagList: Schema = orTemplate(
  { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
  'Tags as a list, or a template that yields a list.',
);

/** @returns the published JSON Schema for workflow files. */
export function buildWorkflowSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://riposte.dev/schemas/workflow.schema.json',
    title: 'Riposte workflow',
    description:
      'A declarative automated response for Microsoft Defender XDR: triggers, an optional input declaration and steps that ' +
      'run in order. Every value is checked when the file is loaded; a workflow that does not validate never runs.',
    type: 'object',
    additionalProperties: false,
    required: ['name', 'triggers', 'steps'],
    properties: {
      $schema: { type: 'string', description: 'Path or URL of this schema, for editors.' },
      name: {
        type: 'string',
        pattern: NAME_PATTERN,
        description: 'Unique workflow name (lowercase, digits, dashes); keys its state and run reports.',
      },
      description: { type: 'string', description: 'What the workflow does and why.' },
      dryRun: {
        type: 'boolean',
        default: false,
        description:
          'Always run dry: read steps run, write steps only report the change they would make. For trying a new workflow.',
      },
      tenants: {
        description:
          "The tenants of the tenant registry (the TENANTS setting) it runs for: 'all' (the default: every enabled " +
          'tenant) or a list of tenant keys. Each tenant runs separately: its own window, state, quota and run report. ' +
          'Without TENANTS there is one tenant, `default`.',
        oneOf: [
          { const: 'all' },
          {
            type: 'array',
            minItems: 1,
            uniqueItems: true,
            items: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' },
          },
        ],
      },
      triggers: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        description: 'What starts the workflow. Every trigger runs the same engine and steps.',
        properties: {
          schedule: {
            type: 'string',
            description:
              "NCRONTAB with 6 fields '{second} {minute} {hour} {day} {month} {day-of-week}' in UTC, e.g. '0 */15 * * * *'. " +
              'Scheduled runs cover the time window since the last successful run ($run.window).',
          },
          http: {
            type: 'boolean',
            description: 'Callable over HTTP (the run endpoint, Logic Apps) with the declared input.',
          },
          webhook: {
            type: 'object',
            additionalProperties: false,
            required: ['sources'],
            description: 'Run on webhook deliveries from these ticketing sources (mapped to the declared input).',
            properties: {
              sources: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...WEBHOOK_SOURCES] } },
            },
          },
        },
      },
      input: {
        type: 'object',
        description: 'The input the workflow accepts ($input), checked before any step runs.',
        propertyNames: { pattern: INPUT_NAME_PATTERN },
        additionalProperties: ref('inputField'),
      },
      window: {
        type: 'object',
        additionalProperties: false,
        description: 'Scheduled runs only: how the hunting window since the last successful run is computed.',
        properties: {
          ingestionDelay: {
            type: 'string',
            pattern: DURATION_PATTERN,
            description: 'Leave this much of the recent past for the next run (late-arriving events). Default PT5M.',
          },
          initialLookback: {
            type: 'string',
            pattern: DURATION_PATTERN,
            description: 'Window length of the very first run. Default PT1H.',
          },
          maxWindow: {
            type: 'string',
            pattern: DURATION_PATTERN,
            description:
              'Longest window per run; after an outage runs catch up in windows of this size. Default P1D (hunting keeps 30 days).',
          },
        },
      },
      steps: ref('stepList'),
    },
    definitions: {
      stepId: {
        type: 'string',
        pattern: STEP_ID_PATTERN,
        description: 'Unique step id in this workflow; later steps read its output as $steps.<id>.',
      },
      inputField: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: {
          type: { enum: [...INPUT_TYPES], description: 'JSON type of the value.' },
          required: { type: 'boolean', default: false },
          default: { description: 'Used when the caller leaves the field out.' },
          enum: { type: 'array', minItems: 1, description: 'The only values accepted.' },
          minimum: { type: 'number' },
          maximum: { type: 'number' },
          description: { type: 'string' },
        },
      },
      stepList: { type: 'array', minItems: 1, items: ref('step'), description: 'Steps, run in order.' },
      step: {
        type: 'object',
        required: ['id', 'kind'],
        properties: { kind: { type: 'string' } },
        discriminator: { propertyName: 'kind' },
        oneOf: STEP_KINDS.map((k) => ref(`${k}Step`)),
      },
      huntStep: stepBranch('hunt', 'Run a named query from the query library. Output: { rowCount, columns, rows }.', {
        type: 'object',
        additionalProperties: false,
        required: ['query'],
        properties: {
          query: {
            type: 'string',
            minLength: 1,
            description: 'Name of a query in queries/ (a literal name, checked at load).',
          },
          params: {
            type: 'object',
            description: 'Values for the query parameters, literal or templates (e.g. ${ $run.window.start }).',
            additionalProperties: true,
          },
          timespan: {
            type: 'string',
            description:
              "ISO-8601 duration or interval for the Graph Timespan, e.g. 'P1D'. Scheduled runs default to their window 'start/end'.",
          },
        },
      }),
      listIncidentsStep: stepBranch(
        'listIncidents',
        'List incidents. Output: { count, incidents }.',
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: orTemplate(
              {
                anyOf: [
                  { enum: [...INCIDENT_STATUSES] },
                  { type: 'array', minItems: 1, items: { enum: [...INCIDENT_STATUSES] } },
                ],
              },
              'One status or a list.',
            ),
            severity: orTemplate(
              { anyOf: [{ enum: [...SEVERITIES] }, { type: 'array', minItems: 1, items: { enum: [...SEVERITIES] } }] },
              'One severity or a list.',
            ),
            assignedTo: { type: 'string', description: 'Only incidents assigned to this user.' },
            createdSince: { type: 'string', description: 'ISO date-time (or template): created after this.' },
            updatedSince: { type: 'string', description: 'ISO date-time (or template): last updated after this.' },
            updatedBefore: {
              type: 'string',
              description: 'ISO date-time (or template): last updated before this (filtered by Riposte).',
            },
            limit: orTemplate({ type: 'integer', minimum: 1 }, 'Stop after this many incidents.'),
            expandAlerts: orTemplate(
              { type: 'boolean' },
              "Include each incident's alerts[] and their typed evidence (devices, users, files, IPs, URLs, mailboxes).",
            ),
          },
        },
        false,
      ),
      getIncidentStep: stepBranch(
        'getIncident',
        'Read one incident. Output: the incident, with alerts[] and evidence.',
        {
          type: 'object',
          additionalProperties: false,
          required: ['incidentId'],
          properties: { incidentId },
        },
      ),
      updateIncidentStep: stepBranch(
        'updateIncident',
        'Change an incident: only fields that differ are sent; tags are merged into the current list. Output: { incidentId, patch, outcome }.',
        {
          type: 'object',
          additionalProperties: false,
          required: ['incidentId'],
          properties: {
            incidentId,
            status: enumOrTemplate(SETTABLE_STATUSES, 'New status.'),
            assignedTo: { type: 'string', description: 'User (UPN) or queue to assign to; an empty string unassigns.' },
            classification: enumOrTemplate(CLASSIFICATIONS, 'Classification (set together with determination).'),
            determination: enumOrTemplate(DETERMINATIONS, 'Determination; must fit the classification.'),
            severity: enumOrTemplate(SEVERITIES, 'Severity (Graph API only).'),
            tags: {
              type: 'object',
              additionalProperties: false,
              minProperties: 1,
              description: 'Tags to add to and remove from the current list.',
              properties: { add: tagList, remove: tagList },
            },
            comment: { type: 'string', minLength: 1, description: 'A comment to add (Riposte appends its marker).' },
          },
        },
      ),
      commentStep: stepBranch(
        'comment',
        'Add a comment to an incident (once per distinct text). Output: { incidentId, outcome }.',
        {
          type: 'object',
          additionalProperties: false,
          required: ['incidentId', 'text'],
          properties: {
            incidentId,
            text: {
              type: 'string',
              minLength: 1,
              description: 'Comment text; Riposte appends a short marker so it can recognise its own comments.',
            },
          },
        },
      ),
      listAlertsStep: stepBranch(
        'listAlerts',
        'List Graph alerts (alerts_v2; DEFENDER_API=graph). Output: { count, alerts, evidence }, evidence merged over the alerts.',
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: orTemplate(
              {
                anyOf: [
                  { enum: [...ALERT_STATUSES] },
                  { type: 'array', minItems: 1, items: { enum: [...ALERT_STATUSES] } },
                ],
              },
              'One alert status or a list.',
            ),
            severity: orTemplate(
              {
                anyOf: [
                  { enum: [...ALERT_SEVERITIES] },
                  { type: 'array', minItems: 1, items: { enum: [...ALERT_SEVERITIES] } },
                ],
              },
              'One severity or a list.',
            ),
            serviceSource: orTemplate(
              {
                anyOf: [
                  { enum: [...ALERT_SERVICE_SOURCES] },
                  { type: 'array', minItems: 1, items: { enum: [...ALERT_SERVICE_SOURCES] } },
                ],
              },
              'The product that raised the alert, one or a list (e.g. microsoftDefenderForEndpoint).',
            ),
            assignedTo: { type: 'string', description: 'Only alerts assigned to this user.' },
            createdAfter: { type: 'string', description: 'ISO date-time (or template): created at or after this.' },
            createdBefore: { type: 'string', description: 'ISO date-time (or template): created before this.' },
            incidentId: orTemplate(
              { type: ['string', 'integer'] },
              "Only this incident's alerts (read through the incident).",
            ),
            limit: orTemplate({ type: 'integer', minimum: 1 }, 'Stop after this many alerts.'),
          },
        },
        false,
      ),
      getAlertStep: stepBranch(
        'getAlert',
        'Read one Graph alert (DEFENDER_API=graph). Output: the alert, with comments and typed evidence.',
        { type: 'object', additionalProperties: false, required: ['alertId'], properties: { alertId } },
      ),
      updateAlertStep: stepBranch(
        'updateAlert',
        'Change a Graph alert (DEFENDER_API=graph): only fields that differ are sent. Output: { alertId, incidentId, patch, outcome }.',
        {
          type: 'object',
          additionalProperties: false,
          required: ['alertId'],
          properties: {
            alertId,
            status: enumOrTemplate(ALERT_STATUSES, 'New alert status.'),
            assignedTo: { type: 'string', description: 'User (UPN) to assign to; an empty string unassigns.' },
            classification: enumOrTemplate(ALERT_CLASSIFICATIONS, 'Classification.'),
            determination: enumOrTemplate(ALERT_DETERMINATIONS, 'Determination (the alert update page names).'),
          },
        },
      ),
      commentAlertStep: stepBranch(
        'commentAlert',
        'Add a comment to a Graph alert (once per distinct text; DEFENDER_API=graph). Output: { alertId, incidentId, outcome, comments }.',
        {
          type: 'object',
          additionalProperties: false,
          required: ['alertId', 'text'],
          properties: {
            alertId,
            text: {
              type: 'string',
              minLength: 1,
              description: 'Comment text; Riposte appends a short marker so it can recognise its own comments.',
            },
          },
        },
      ),
      isolateDeviceStep: stepBranch(
        'isolateDevice',
        'Isolate a device from the network (MDE, Machine.Isolate; destructive). Output: { deviceId, deviceName, actionId, type, status, outcome, followUp }.',
        deviceInput({
          isolationType: enumOrTemplate(['Full', 'Selective', 'UnManagedDevice'], 'Full (default) or Selective.'),
        }),
      ),
      releaseDeviceStep: stepBranch(
        'releaseDevice',
        'Release a device from isolation (MDE, Machine.Isolate). Output as isolateDevice.',
        deviceInput(),
      ),
      runAntivirusScanStep: stepBranch(
        'runAntivirusScan',
        'Run a Microsoft Defender Antivirus scan (MDE, Machine.Scan). Output as isolateDevice.',
        deviceInput({ scanType: enumOrTemplate(['Quick', 'Full'], 'Quick (default) or Full.') }),
      ),
      collectInvestigationPackageStep: stepBranch(
        'collectInvestigationPackage',
        'Collect an investigation package from a device (MDE, Machine.CollectForensics). Output as isolateDevice.',
        deviceInput(),
      ),
      restrictAppExecutionStep: stepBranch(
        'restrictAppExecution',
        'Restrict app execution to Microsoft-signed code (MDE, Machine.RestrictExecution; destructive). Output as isolateDevice.',
        deviceInput(),
      ),
      unrestrictAppExecutionStep: stepBranch(
        'unrestrictAppExecution',
        'Remove the app execution restriction (MDE, Machine.RestrictExecution). Output as isolateDevice.',
        deviceInput(),
      ),
      stopAndQuarantineFileStep: stepBranch(
        'stopAndQuarantineFile',
        'Stop a file running on a device and quarantine it (MDE, Machine.StopAndQuarantine; destructive). Output as isolateDevice.',
        deviceInput(
          { sha1: orTemplate({ type: 'string', pattern: '^[0-9a-fA-F]{40}$' }, 'The SHA-1 of the file (SHA-1 only).') },
          ['sha1'],
        ),
      ),
      revokeUserSessionsStep: stepBranch(
        'revokeUserSessions',
        "Revoke a user's sign-in sessions (Microsoft Graph, whatever DEFENDER_API says). Output: { userId, userPrincipalName, outcome }.",
        userInput(false),
      ),
      disableUserStep: stepBranch(
        'disableUser',
        'Disable a user account (accountEnabled false; Microsoft Graph). Destructive: waits for approval unless approval is none. Output: { userId, userPrincipalName, outcome }.',
        userInput(true),
      ),
      enableUserStep: stepBranch(
        'enableUser',
        'Re-enable a user account (accountEnabled true; Microsoft Graph). Output: { userId, userPrincipalName, outcome }.',
        userInput(false),
      ),
      confirmUserCompromisedStep: stepBranch(
        'confirmUserCompromised',
        'Confirm a risky user compromised (Identity Protection; risk level becomes high). Output: { userId, userPrincipalName, outcome }.',
        userInput(false),
      ),
      confirmUserSafeStep: stepBranch(
        'confirmUserSafe',
        'Confirm a risky user safe (Identity Protection; risk dismissed). Output: { userId, userPrincipalName, outcome }.',
        userInput(false),
      ),
      notifyTeamsStep: stepBranch(
        'notifyTeams',
        'Post a message (an Adaptive Card 1.5: title, text, facts, link buttons) to a Teams channel through a Workflows webhook whose URL is a Key Vault secret; once per distinct message and channel. Output: { webhook, outcome }.',
        {
          type: 'object',
          additionalProperties: false,
          required: ['text'],
          properties: {
            incidentId: { ...incidentId, description: 'The incident the message is about (for the run report).' },
            title: { type: 'string', description: 'Bold heading.' },
            text: {
              type: 'string',
              minLength: 1,
              description: 'Message text; Riposte appends its marker ([riposte:ab12cd34]).',
            },
            facts: orTemplate(
              {
                anyOf: [
                  {
                    type: 'array',
                    maxItems: 30,
                    items: {
                      type: 'object',
                      additionalProperties: false,
                      required: ['title', 'value'],
                      properties: { title: { type: 'string' }, value: {} },
                    },
                  },
                  { type: 'object', additionalProperties: true },
                ],
              },
              'Name/value pairs shown as a FactSet: a list of { title, value } or an object.',
            ),
            links: orTemplate(
              {
                type: 'array',
                maxItems: 6,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['title', 'url'],
                  properties: { title: { type: 'string', minLength: 1 }, url: { type: 'string', minLength: 1 } },
                },
              },
              'Buttons that open a URL (Action.OpenUrl); https:// only.',
            ),
            webhookSecret: {
              type: 'string',
              pattern: '^[0-9a-zA-Z-]{1,127}$',
              description: 'Key Vault secret holding the webhook URL (default TEAMS_WEBHOOK_SECRET_NAME).',
            },
          },
        },
      ),
      jiraCommentStep: stepBranch(
        'jiraComment',
        "Add a comment (Atlassian Document Format) to a Jira issue: the one given, else each issue linked to the incident (its 'ticket:<KEY>' tag); once per distinct text and issue. Output: { issues, outcome }.",
        {
          type: 'object',
          additionalProperties: false,
          required: ['text'],
          properties: {
            incidentId: { ...incidentId, description: 'The incident whose linked issues get the comment.' },
            issue: orTemplate(
              { type: 'string', pattern: '^(?:[A-Z][A-Z0-9_]{0,254}-[1-9][0-9]{0,9}|[1-9][0-9]{0,17})$' },
              'Issue key (SEC-42) or id; default: the issues linked to the incident.',
            ),
            text: {
              type: 'string',
              minLength: 1,
              description: 'Comment text (a paragraph per line); Riposte appends its marker.',
            },
          },
        },
      ),
      serviceNowWorkNoteStep: stepBranch(
        'serviceNowWorkNote',
        "Add a work note to a ServiceNow record (Table API): the one given, else each record linked to the incident (its 'ticket:<number>' tag); once per distinct text and record. Output: { tickets, outcome }.",
        {
          type: 'object',
          additionalProperties: false,
          required: ['text'],
          properties: {
            incidentId: { ...incidentId, description: 'The incident whose linked records get the work note.' },
            ticket: orTemplate(
              { type: 'string', pattern: '^(?:[0-9a-f]{32}|[A-Z]{2,10}[0-9]{4,12})$' },
              'sys_id or number (INC0010001); default: the records linked to the incident.',
            ),
            table: {
              type: 'string',
              pattern: '^[a-z][a-z0-9_]{0,79}$',
              default: 'incident',
              description: 'Table of the record (incident, sn_si_incident).',
            },
            text: {
              type: 'string',
              minLength: 1,
              description: 'Work note text; Riposte appends its marker.',
            },
          },
        },
      ),
      submitIndicatorStep: stepBranch(
        'submitIndicator',
        'Make Defender for Endpoint allow, audit, warn on or block a file hash, IP, domain or URL (MDE indicators): de-duplicated by value, an existing indicator with other settings is updated. A blocking action needs approval. Output: { type, value, outcome, update, indicator, request }.',
        {
          type: 'object',
          additionalProperties: false,
          required: ['value', 'action', 'title'],
          properties: {
            value: indicatorValue,
            type: indicatorType,
            action: enumOrTemplate(
              INDICATOR_ACTIONS,
              'What Defender does when it meets the value: Allowed, Audit (always generates alerts), Warn, Block, BlockAndRemediate; Alert and AlertAndBlock are older names.',
            ),
            title: { type: 'string', minLength: 1, maxLength: 500, description: 'The indicator (alert) title.' },
            description: { type: 'string', description: 'Description of the indicator (default: the title).' },
            expiry: {
              type: 'string',
              minLength: 1,
              description: "When the indicator expires: an ISO-8601 duration from the run ('P30D') or a date-time.",
            },
            severity: enumOrTemplate(INDICATOR_SEVERITIES, 'Severity of the alerts it raises.'),
            recommendedActions: { type: 'string', description: 'Recommended actions shown with its alerts.' },
            generateAlert: orTemplate({ type: 'boolean' }, 'Raise an alert when the indicator matches.'),
            incidentId: reportIncident,
          },
        },
      ),
      removeIndicatorStep: stepBranch(
        'removeIndicator',
        'Delete the MDE indicators of a value (nothing to do when there is none). Output: { type, value, outcome, removed, requests }.',
        {
          type: 'object',
          additionalProperties: false,
          required: ['value'],
          properties: { value: indicatorValue, type: indicatorType, incidentId: reportIncident },
        },
      ),
      setStep: stepBranch(
        'set',
        'Compute named values once (e.g. a mapping-table lookup) for later steps. Output: the evaluated input.',
        {
          type: 'object',
          minProperties: 1,
          description: 'Names and values (literal or templates); later steps read $steps.<id>.<name>.',
          additionalProperties: true,
        },
      ),
      forEachStep: stepBranch(
        'forEach',
        'Run steps once per item of a list. Output: { count, succeeded, failed, skipped }.',
        {
          type: 'object',
          additionalProperties: false,
          required: ['items', 'steps'],
          properties: {
            items: expressionField('The list, e.g. $steps.list.incidents.'),
            concurrency: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_CONCURRENCY,
              default: DEFAULT_CONCURRENCY,
              description: `Items processed at the same time (default ${DEFAULT_CONCURRENCY}, at most ${MAX_CONCURRENCY}).`,
            },
            steps: ref('stepList'),
          },
        },
      ),
      ifStep: stepBranch('if', 'Run one of two step lists. Output: { branch }.', {
        type: 'object',
        additionalProperties: false,
        required: ['condition', 'then'],
        properties: {
          condition: expressionField("Chooses 'then' when true."),
          then: ref('stepList'),
          else: ref('stepList'),
        },
      }),
      stopStep: stepBranch('stop', 'End the run early, successfully, with status stopped.', {
        type: 'object',
        additionalProperties: false,
        required: ['reason'],
        properties: { reason: { type: 'string', minLength: 1, description: 'Why the run stops (text or template).' } },
      }),
    },
  };
}
