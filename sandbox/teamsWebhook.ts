// A Teams Workflows webhook ("When a Teams webhook request is received"), as the Teams developer docs describe it
// (create-workflows.md, connectors-using.md; integration-conventions.md §6): the URL is a Logic Apps request trigger,
// `/workflows/<id>/triggers/manual/paths/invoke?api-version=2016-06-01&sp=/triggers/manual/run&sv=1.0&sig=<SAS>`;
// it answers 202 Accepted (the flow runs later) to a body `{type:'message', attachments:[{contentType:
// 'application/vnd.microsoft.card.adaptive', content:<card>}]}`. Teams renders card schema 1.5 at most, refuses
// Action.Submit on webhook cards, and a message of more than about 28 KB ("Request Entity too large").
// What the real flow would refuse or mis-render is answered 400 here, so a client bug fails a test instead of
// vanishing into a flow's run history. Accepted messages are kept for tests to inspect.
import { randomBytes } from 'node:crypto';
import type { FaultSpec } from './faults';
import { isPlainObject, json, jsonBody, type Reply, type SandboxRequest } from './httpUtil';
import type { Route } from './router';

export const TEAMS_MAX_BYTES = 28 * 1024;

export interface TeamsDelivery {
  workflowId: string;
  /** The JSON body as received. */
  body: Record<string, unknown>;
  /** The cards (attachments[].content). */
  cards: Array<Record<string, unknown>>;
  bytes: number;
  at: string;
}

export class TeamsWebhooks {
  private readonly sigs = new Map<string, string>();
  deliveries: TeamsDelivery[] = [];
  refused = 0;

  /** A new webhook: returns its full URL (with the SAS signature) on `origin`. */
  create(origin: string): string {
    const id = randomBytes(16).toString('hex');
    const sig = randomBytes(24).toString('base64url');
    this.sigs.set(id, sig);
    return `${origin}/workflows/${id}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`;
  }

  sigOf(id: string): string | undefined {
    return this.sigs.get(id);
  }

  reset(): void {
    this.sigs.clear();
    this.deliveries = [];
    this.refused = 0;
  }
}

function versionAtMost15(v: unknown): boolean {
  if (typeof v !== 'string' || !/^\d+\.\d+$/.test(v)) return false;
  const [major = 0, minor = 0] = v.split('.').map(Number);
  return major < 1 || (major === 1 && minor <= 5);
}

function actionTypes(node: unknown, out: string[], depth = 0): string[] {
  if (depth > 32 || node === null || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    for (const n of node) actionTypes(n, out, depth + 1);
    return out;
  }
  const rec = node as Record<string, unknown>;
  if (typeof rec.type === 'string' && rec.type.startsWith('Action.')) out.push(rec.type);
  for (const v of Object.values(rec)) actionTypes(v, out, depth + 1);
  return out;
}

/** What Teams would refuse in a webhook body; empty when it is the documented shape. */
export function teamsBodyProblems(body: unknown, bytes: number): string[] {
  if (bytes > TEAMS_MAX_BYTES) return [`Request Entity too large: ${bytes} bytes (limit ${TEAMS_MAX_BYTES})`];
  if (!isPlainObject(body)) return ['the body must be a JSON object'];
  const problems: string[] = [];
  if (body.type !== 'message') problems.push("type must be 'message'");
  if (!Array.isArray(body.attachments) || body.attachments.length === 0)
    return [...problems, 'attachments must be a non-empty array'];
  body.attachments.forEach((a: unknown, i) => {
    if (!isPlainObject(a)) return problems.push(`attachments[${i}] must be an object`);
    if (a.contentType !== 'application/vnd.microsoft.card.adaptive')
      problems.push(`attachments[${i}].contentType must be application/vnd.microsoft.card.adaptive`);
    const card = a.content;
    if (!isPlainObject(card)) return problems.push(`attachments[${i}].content must be an Adaptive Card object`);
    if (card.type !== 'AdaptiveCard') problems.push(`attachments[${i}].content.type must be AdaptiveCard`);
    if (!versionAtMost15(card.version))
      problems.push(`attachments[${i}].content.version must be a schema version up to 1.5`);
    if (!Array.isArray(card.body)) problems.push(`attachments[${i}].content.body must be an array`);
    for (const t of actionTypes(card, []))
      if (t === 'Action.Submit' || t === 'Action.Execute')
        problems.push(`attachments[${i}]: ${t} is not supported on webhook cards`);
    return undefined;
  });
  return problems;
}

/** Logic Apps' error envelope for a refused trigger call. */
const triggerError = (status: number, code: string, message: string, headers: Record<string, string> = {}): Reply =>
  json(status, { error: { code, message } }, headers);

function receive(hooks: TeamsWebhooks, req: SandboxRequest, id: string, now: () => Date): Reply {
  const sig = hooks.sigOf(id);
  if (sig === undefined) return triggerError(404, 'WorkflowNotFound', `The workflow '${id}' could not be found.`);
  if (req.url.searchParams.get('sig') !== sig)
    return triggerError(
      401,
      'DirectApiInvalidAuthorizationSignature',
      "The provided authorization token is not valid. The request should have a valid authorization header with 'Bearer' scheme or a valid SAS.",
    );
  const body = jsonBody(req);
  const problems = body instanceof Error ? ['the body is not JSON'] : teamsBodyProblems(body, req.body.length);
  if (problems.length > 0) {
    hooks.refused += 1;
    return triggerError(req.body.length > TEAMS_MAX_BYTES ? 413 : 400, 'InvalidTeamsMessage', problems.join('; '));
  }
  const b = body as Record<string, unknown>;
  const cards = (b.attachments as Array<Record<string, unknown>>).map((a) => a.content as Record<string, unknown>);
  hooks.deliveries.push({ workflowId: id, body: b, cards, bytes: req.body.length, at: now().toISOString() });
  return { status: 202, headers: { 'x-ms-workflow-run-id': randomBytes(8).toString('hex') } };
}

export function teamsRoutes(hooks: TeamsWebhooks, now: () => Date): Route[] {
  const faultReply = (_req: SandboxRequest, spec: FaultSpec): Reply => {
    const status = spec.status ?? 500;
    const headers: Record<string, string> =
      spec.retryAfterSeconds !== undefined ? { 'retry-after': String(Math.ceil(spec.retryAfterSeconds)) } : {};
    return status === 429
      ? triggerError(429, 'WorkflowRequestsThrottled', 'The workflow trigger is throttled. Retry later.', headers)
      : triggerError(status, 'ServiceUnavailable', 'The service is temporarily unavailable.', headers);
  };
  return [
    {
      methods: ['POST'],
      pattern: /^\/workflows\/([0-9a-f]{32})\/triggers\/manual\/paths\/invoke\/?$/,
      family: 'teams',
      target: 'teams',
      faultReply,
      handle: (req, [id = '']) => receive(hooks, req, id, now),
    },
  ];
}
