// Jira Cloud comments, REST API v3 (integration-conventions.md §4.4-4.6; Atlassian's v3 reference, "Issue comments"):
// POST /rest/api/3/issue/{issueIdOrKey}/comment with `body` in Atlassian Document Format (a `doc`, version 1, of
// paragraphs of text nodes) → 201; GET the same path lists comments (newest first with orderBy=-created). Auth:
// HTTP Basic with the account's email and an API token, kept in Key Vault as {"email": "...", "apiToken": "..."}.
// 429 carries Retry-After, X-RateLimit-Reset and RateLimit-Reason (jira-burst-based, jira-per-issue-on-write).
// GET comments takes orderBy created / -created / +created and maxResults up to 100 (jira.js cloud getComments,
// generated from Atlassian's v3 spec).
import { AppError, InputError } from '../errors';
import { jiraCommentText } from '../webhooks/commentText';
import type { NotifyHttp } from './notifyHttp';
import type { NotifyLimiters } from './notifyLimits';
import type { NotifySecrets } from './notifySecrets';
import { NotifyApiError } from './notifyError';

/** Issue keys (SEC-42) or numeric issue ids. */
export const JIRA_ISSUE = /^(?:[A-Z][A-Z0-9_]{0,254}-[1-9]\d{0,9}|[1-9]\d{0,17})$/;

export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: Array<{ type: 'paragraph'; content: Array<{ type: 'text'; text: string }> }>;
}

/** Plain text as ADF: one paragraph per line (blank lines dropped: ADF text nodes must not be empty). */
export function adfOf(text: string): AdfDoc {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  return {
    type: 'doc',
    version: 1,
    content: lines.map((line) => ({ type: 'paragraph', content: [{ type: 'text', text: line }] })),
  };
}

export interface JiraRequestPreview {
  method: 'POST';
  path: string;
  body: { body: AdfDoc };
}

export interface JiraClient {
  readonly baseUrl: string;
  /** The request addComment would send. */
  preview(issue: string, text: string): JiraRequestPreview;
  /** @returns the new comment's id. */
  addComment(issue: string, text: string, signal?: AbortSignal): Promise<string>;
  /** True when one of the issue's latest comments (up to 100) contains `needle` (a write's marker). */
  hasComment(issue: string, needle: string, signal?: AbortSignal): Promise<boolean>;
}

interface JiraCredentials {
  email: string;
  apiToken: string;
}

function parseCredentials(value: string, secretName: string): JiraCredentials {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    v = undefined;
  }
  const c = v as Partial<JiraCredentials> | undefined;
  if (!c || typeof c.email !== 'string' || typeof c.apiToken !== 'string' || !c.email || !c.apiToken)
    throw new AppError(
      'CONFIG_INVALID',
      `Key Vault secret '${secretName}' must hold JSON {"email": "<Atlassian account email>", "apiToken": "<API token>"}`,
    );
  return { email: c.email, apiToken: c.apiToken };
}

const commentPath = (issue: string): string => `/rest/api/3/issue/${encodeURIComponent(issue)}/comment`;

export function createJiraClient(o: {
  baseUrl: string;
  secretName: string;
  http: NotifyHttp;
  secrets: NotifySecrets;
  limiters: NotifyLimiters;
}): JiraClient {
  const limiter = o.limiters('jira', o.baseUrl);
  const auth = async (): Promise<Record<string, string>> => {
    const c = parseCredentials(await o.secrets.get(o.secretName), o.secretName);
    return { Authorization: `Basic ${Buffer.from(`${c.email}:${c.apiToken}`).toString('base64')}` };
  };
  const onUnauthorized = async (): Promise<void> => {
    await o.secrets.refresh(o.secretName);
  };
  const checkIssue = (issue: string): void => {
    if (!JIRA_ISSUE.test(issue))
      throw new InputError('issue', `issue must be a Jira issue key (SEC-42) or id, got ${JSON.stringify(issue)}`);
  };
  return {
    baseUrl: o.baseUrl,
    preview: (issue, text) => ({ method: 'POST', path: commentPath(issue), body: { body: adfOf(text) } }),
    async addComment(issue, text, signal) {
      checkIssue(issue);
      const path = commentPath(issue);
      const res = await o.http.request<{ id?: unknown }>({
        target: 'jira',
        method: 'POST',
        url: `${o.baseUrl}${path}`,
        label: `POST ${path}`,
        headers: { 'Content-Type': 'application/json' },
        data: { body: adfOf(text) },
        limiter,
        // A comment posted twice shows twice.
        idempotent: false,
        signal,
        auth,
        onUnauthorized,
      });
      const id = res.data?.id;
      if (typeof id !== 'string' && typeof id !== 'number')
        throw new NotifyApiError('jira', `Jira POST ${path} answered ${res.status} without a comment id`, {
          status: undefined,
          method: 'POST',
          path,
        });
      return String(id);
    },
    async hasComment(issue, needle, signal) {
      checkIssue(issue);
      const path = commentPath(issue);
      const res = await o.http.request<{ comments?: Array<{ body?: unknown }> }>({
        target: 'jira',
        method: 'GET',
        url: `${o.baseUrl}${path}?orderBy=-created&maxResults=100`,
        label: `GET ${path}`,
        limiter,
        idempotent: true,
        signal,
        auth,
        onUnauthorized,
      });
      const comments = Array.isArray(res.data?.comments) ? res.data.comments : [];
      return comments.some((c) => jiraCommentText(c.body)?.includes(needle) === true);
    },
  };
}
