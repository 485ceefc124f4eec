// Jira Cloud's issue comments, REST API v3, as Atlassian documents them (integration-conventions.md §4.4-4.6;
// developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments, .../rate-limiting,
// .../basic-auth-for-rest-apis):
// - POST /rest/api/3/issue/{issueIdOrKey}/comment, body {body: <ADF doc>} → 201 with the Comment; 400 for a body
//   that is not a valid document; 401 without valid Basic credentials (email:API token); 404 for an issue that does
//   not exist or is not visible ("Issue does not exist or you do not have permission to see it.");
// - GET the same path → {startAt, maxResults, total, comments}, `orderBy` created / -created;
// - 429 with Retry-After, X-RateLimit-Reset (ISO 8601 instant) and RateLimit-Reason.
// ADF checks (Atlassian Document Format structure page): the root is {type: 'doc', version: 1, content: [...]};
// every node has a string type; text nodes carry non-empty text; paragraphs hold inline nodes only.
import { randomBytes } from 'node:crypto';
import type { FaultSpec } from './faults';
import { header, isPlainObject, json, jsonBody, type Reply, type SandboxRequest } from './httpUtil';
import type { Route } from './router';

export interface JiraComment {
  id: string;
  body: Record<string, unknown>;
  author: string;
  created: string;
}

export interface JiraIssue {
  id: string;
  key: string;
  comments: JiraComment[];
}

export class JiraSite {
  issues = new Map<string, JiraIssue>();
  credentials = { email: 'riposte@example.com', apiToken: randomBytes(12).toString('hex') };
  private nextId = 10000;
  private nextComment = 20000;
  refused = 0;

  addIssue(key: string): JiraIssue {
    const issue = { id: String(this.nextId++), key, comments: [] };
    this.issues.set(key, issue);
    return issue;
  }

  find(idOrKey: string): JiraIssue | undefined {
    return this.issues.get(idOrKey) ?? [...this.issues.values()].find((i) => i.id === idOrKey);
  }

  commentId(): string {
    return String(this.nextComment++);
  }

  reset(): void {
    this.issues.clear();
    this.refused = 0;
    this.credentials = { email: 'riposte@example.com', apiToken: randomBytes(12).toString('hex') };
  }
}

const INLINE = new Set(['text', 'hardBreak', 'mention', 'emoji', 'inlineCard', 'date', 'status']);

/** What makes an ADF document invalid; empty when it is fine. */
export function adfProblems(doc: unknown): string[] {
  if (!isPlainObject(doc)) return ['body must be an ADF document object'];
  const problems: string[] = [];
  if (doc.type !== 'doc') problems.push("body.type must be 'doc'");
  if (doc.version !== 1) problems.push('body.version must be 1');
  if (!Array.isArray(doc.content)) return [...problems, 'body.content must be an array'];
  const walk = (node: unknown, path: string, depth: number): void => {
    if (depth > 32) return void problems.push(`${path}: nested too deep`);
    if (!isPlainObject(node) || typeof node.type !== 'string')
      return void problems.push(`${path}.type must be a string`);
    if (node.type === 'text') {
      if (typeof node.text !== 'string' || node.text === '') problems.push(`${path}.text must be non-empty text`);
      return;
    }
    if (node.content === undefined) return;
    if (!Array.isArray(node.content)) return void problems.push(`${path}.content must be an array`);
    node.content.forEach((child: unknown, i) => {
      if (
        node.type === 'paragraph' &&
        isPlainObject(child) &&
        typeof child.type === 'string' &&
        !INLINE.has(child.type)
      )
        problems.push(`${path}.content[${i}]: a paragraph holds inline nodes only`);
      walk(child, `${path}.content[${i}]`, depth + 1);
    });
  };
  doc.content.forEach((n: unknown, i) => walk(n, `body.content[${i}]`, 1));
  return problems;
}

const errors = (status: number, messages: string[], extra: Record<string, string> = {}): Reply =>
  json(status, { errorMessages: messages, errors: extra });

function authorised(site: JiraSite, req: SandboxRequest): boolean {
  const auth = header(req, 'authorization') ?? '';
  const m = /^Basic\s+(\S+)$/i.exec(auth);
  if (!m?.[1]) return false;
  return Buffer.from(m[1], 'base64').toString('utf8') === `${site.credentials.email}:${site.credentials.apiToken}`;
}

function commentJson(req: SandboxRequest, issue: JiraIssue, c: JiraComment): Record<string, unknown> {
  return {
    self: `${req.url.origin}/rest/api/3/issue/${issue.id}/comment/${c.id}`,
    id: c.id,
    author: { accountId: c.author, displayName: 'Riposte', active: true },
    body: c.body,
    created: c.created,
    updated: c.created,
    jsdPublic: true,
  };
}

export function jiraRoutes(site: JiraSite, now: () => Date): Route[] {
  const faultReply = (_req: SandboxRequest, spec: FaultSpec): Reply => {
    const status = spec.status ?? 500;
    if (status !== 429) return errors(status, ['Internal server error']);
    const wait = Math.ceil(spec.retryAfterSeconds ?? 1);
    const reset = new Date(now().getTime() + wait * 1000).toISOString().slice(0, 16) + 'Z';
    return json(
      429,
      { errorMessages: ['Rate limit exceeded.'], errors: {} },
      { 'retry-after': String(wait), 'x-ratelimit-reset': reset, 'ratelimit-reason': 'jira-burst-based' },
    );
  };
  const comments = (req: SandboxRequest, idOrKey: string): Reply => {
    if (!authorised(site, req)) {
      site.refused += 1;
      return {
        status: 401,
        headers: { 'content-type': 'text/plain' },
        body: 'Client must be authenticated to access this resource.',
      };
    }
    const issue = site.find(idOrKey);
    if (!issue) return errors(404, ['Issue does not exist or you do not have permission to see it.']);
    if (req.method === 'GET') {
      const newest = req.url.searchParams.get('orderBy') === '-created';
      const list = newest ? [...issue.comments].reverse() : issue.comments;
      const max = Math.min(Number(req.url.searchParams.get('maxResults') ?? 50) || 50, 5000);
      return json(200, {
        startAt: 0,
        maxResults: max,
        total: list.length,
        comments: list.slice(0, max).map((c) => commentJson(req, issue, c)),
      });
    }
    const body = jsonBody(req);
    const problems = !isPlainObject(body) ? ['the request body must be a JSON object'] : adfProblems(body.body);
    if (problems.length > 0) {
      site.refused += 1;
      return errors(400, [], { comment: `Comment body is not valid: ${problems.join('; ')}` });
    }
    const c: JiraComment = {
      id: site.commentId(),
      body: (body as { body: Record<string, unknown> }).body,
      author: 'riposte-account',
      created: now().toISOString().replace('Z', '+0000'),
    };
    issue.comments.push(c);
    return json(201, commentJson(req, issue, c));
  };
  return [
    {
      methods: ['GET', 'POST'],
      pattern: /^\/rest\/api\/3\/issue\/([^/]+)\/comment\/?$/,
      family: 'jira',
      target: 'jira',
      faultReply,
      handle: (req, [idOrKey = '']) => comments(req, idOrKey),
    },
  ];
}
