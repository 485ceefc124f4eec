// Posts to a Teams channel through a Workflows webhook ("When a Teams webhook request is received"), the
// replacement of the retired Office 365 connectors. Facts from integration-conventions.md §6 (Teams developer docs:
// connectors-using.md, add-incoming-webhook.md, create-workflows.md; Copilot Studio's adaptive-cards-overview):
// - the body is `{type:'message', attachments:[{contentType:'application/vnd.microsoft.card.adaptive', contentUrl:null,
//   content:<Adaptive Card>}]}`; Teams renders card schema 1.5 at most; a webhook card has no bot behind it, so
//   Action.Submit (and Action.Execute) buttons are refused here: use Action.OpenUrl;
// - about 28 KB per message, else "Request Entity too large": checked before sending;
// - the trigger answers 202 Accepted (the flow took the request, not yet posted); the old connectors answered 200
//   with "1", and could put a throttling error inside a 200 body;
// - the URL carries a SAS `sig=`: it lives in Key Vault, and only a short hash of it appears in logs, errors, dry runs.
//
// Usage (the approval card, a notification step):
//   const poster = deps.notify.teams;
//   await poster.post({ card: messageCard({ title: 'Approve?', text: 'Isolate device X', links: [{ title: 'Open', url }] }) });
import { InputError } from '../errors';
import type { NotifySecrets } from './notifySecrets';
import type { NotifyHttp } from './notifyHttp';
import { NotifyApiError } from './notifyError';
import { shortHash, type NotifyLimiters } from './notifyLimits';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
/** Teams renders Adaptive Cards up to this schema version. */
export const TEAMS_MAX_CARD_VERSION = '1.5';
/** The documented message size limit (about 28 KB, all elements included). */
export const TEAMS_MAX_BYTES = 28 * 1024;

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  version: string;
  body: unknown[];
  actions?: unknown[];
  $schema?: string;
  [extra: string]: unknown;
}

export interface TeamsPayload {
  type: 'message';
  attachments: Array<{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }>;
}

export interface TeamsFact {
  title: string;
  value: string;
}

export interface TeamsLink {
  title: string;
  url: string;
}

export interface TeamsMessage {
  /** Bold heading; optional. */
  title?: string;
  /** The message (Adaptive Card TextBlock markdown subset). */
  text: string;
  facts?: TeamsFact[];
  /** Buttons that open a URL (Action.OpenUrl). */
  links?: TeamsLink[];
}

/** The Adaptive Card (schema 1.5) for a plain message: title, text, a FactSet and link buttons. */
export function messageCard(m: TeamsMessage): AdaptiveCard {
  const body: unknown[] = [];
  if (m.title) body.push({ type: 'TextBlock', text: m.title, weight: 'Bolder', size: 'Medium', wrap: true });
  body.push({ type: 'TextBlock', text: m.text, wrap: true });
  if (m.facts && m.facts.length > 0) body.push({ type: 'FactSet', facts: m.facts.map((f) => ({ ...f })) });
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: TEAMS_MAX_CARD_VERSION,
    body,
    ...(m.links && m.links.length > 0
      ? { actions: m.links.map((l) => ({ type: 'Action.OpenUrl', title: l.title, url: l.url })) }
      : {}),
  };
}

/** The documented webhook body around one card. */
export function teamsPayload(card: AdaptiveCard): TeamsPayload {
  return {
    type: 'message',
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: card }],
  };
}

function versionAtMost(version: string, max: string): boolean {
  const [a = NaN, b = 0] = version.split('.').map(Number);
  const [c = 0, d = 0] = max.split('.').map(Number);
  return Number.isInteger(a) && Number.isInteger(b) && (a < c || (a === c && b <= d));
}

/** Action types anywhere in a card (actions, ActionSets, ShowCard's inner card, selectAction). */
function actionTypes(node: unknown, out: Set<string>, depth = 0): Set<string> {
  if (depth > 32 || node === null || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    for (const n of node) actionTypes(n, out, depth + 1);
    return out;
  }
  const rec = node as Record<string, unknown>;
  if (typeof rec.type === 'string' && rec.type.startsWith('Action.')) out.add(rec.type);
  for (const v of Object.values(rec)) actionTypes(v, out, depth + 1);
  return out;
}

/** @returns what Teams would refuse or not render in the payload (empty when it is fine). */
export function teamsPayloadProblems(payload: TeamsPayload): string[] {
  const problems: string[] = [];
  const bytes = Buffer.byteLength(JSON.stringify(payload));
  if (bytes > TEAMS_MAX_BYTES) problems.push(`the message is ${bytes} bytes; Teams takes at most ${TEAMS_MAX_BYTES}`);
  for (const [i, a] of payload.attachments.entries()) {
    const card = a.content;
    if (card.type !== 'AdaptiveCard') problems.push(`attachments[${i}].content.type must be AdaptiveCard`);
    if (typeof card.version !== 'string' || !versionAtMost(card.version, TEAMS_MAX_CARD_VERSION))
      problems.push(`attachments[${i}]: card version ${String(card.version)} is above ${TEAMS_MAX_CARD_VERSION}`);
    for (const t of actionTypes(card, new Set()))
      if (t === 'Action.Submit' || t === 'Action.Execute')
        problems.push(`attachments[${i}]: ${t} has no bot to answer it on a webhook card; use Action.OpenUrl`);
  }
  return problems;
}

export interface TeamsPostOptions {
  card: AdaptiveCard;
  /** Key Vault secret holding the Workflows webhook URL; default TEAMS_WEBHOOK_SECRET_NAME. */
  webhookSecret?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface TeamsPostResult {
  /** 202 (Workflows accepted the request; it posts asynchronously) or 200 (an older connector URL). */
  status: number;
  /** Short hash of the webhook URL: what logs and reports may name. */
  webhook: string;
}

/** The request a post would send, for dry runs: no URL (it holds the SAS signature), only its hash. */
export interface TeamsRequestPreview {
  method: 'POST';
  url: string;
  body: TeamsPayload;
}

export interface TeamsPoster {
  /**
   * Posts one card.
   * @throws {InputError} 'card' when Teams would refuse it (size, version, Action.Submit); nothing is sent.
   * @throws {SecretError} when the webhook URL cannot be read from Key Vault.
   * @throws {NotifyApiError} when the webhook refuses it or stays unavailable through the retries.
   */
  post(o: TeamsPostOptions): Promise<TeamsPostResult>;
  /** The secret's name a post would use, resolved against the default. */
  secretName(webhookSecret?: string): string;
  /** The dry-run view of a post (the URL as "<Key Vault secret NAME>", never read). */
  preview(o: Omit<TeamsPostOptions, 'signal'>): TeamsRequestPreview;
  /** Short hash of the webhook URL in the secret, as target keys and logs name it (reads Key Vault). */
  webhookHash(webhookSecret?: string): Promise<string>;
}

export interface CreateTeamsPosterOptions {
  http: NotifyHttp;
  secrets: NotifySecrets;
  limiters: NotifyLimiters;
  defaultSecretName: string;
}

/** @throws {InputError} 'card' when Teams would refuse the payload. */
export function checkedPayload(card: AdaptiveCard): TeamsPayload {
  const payload = teamsPayload(card);
  const problems = teamsPayloadProblems(payload);
  if (problems.length > 0) throw new InputError('card', `Teams would refuse this card: ${problems.join('; ')}`);
  return payload;
}

export function createTeamsPoster(o: CreateTeamsPosterOptions): TeamsPoster {
  const secretName = (s?: string): string => s ?? o.defaultSecretName;
  const readUrl = async (name: string): Promise<string> => {
    const url = (await o.secrets.get(name)).trim();
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed?.protocol !== 'https:')
      // The value is not echoed: it may be the secret URL with a typo.
      throw new NotifyApiError('teams', `Key Vault secret '${name}' does not hold an https:// webhook URL`, {
        status: undefined,
        method: 'POST',
        path: `Teams webhook (secret ${name})`,
      });
    return url;
  };
  return {
    secretName,
    preview: ({ card, webhookSecret }) => ({
      method: 'POST',
      url: `<Teams Workflows webhook URL from Key Vault secret '${secretName(webhookSecret)}'>`,
      body: checkedPayload(card),
    }),
    webhookHash: async (webhookSecret) => shortHash(await readUrl(secretName(webhookSecret))),
    async post({ card, webhookSecret, signal }) {
      const payload = checkedPayload(card);
      const name = secretName(webhookSecret);
      const url = await readUrl(name);
      const webhook = shortHash(url);
      const label = `POST Teams webhook ${webhook}`;
      const res = await o.http.request<unknown>({
        target: 'teams',
        method: 'POST',
        url,
        label,
        headers: { 'Content-Type': 'application/json' },
        data: payload,
        limiter: o.limiters('teams', url),
        // A message posted twice shows twice: only a 429 or a connection never made is retried.
        idempotent: false,
        signal,
      });
      // Retired connectors answered 200 and reported throttling in the body (§6.1): that is no success.
      if (typeof res.data === 'string' && /\b429\b/.test(res.data))
        throw new NotifyApiError('teams', `Teams ${label} failed: throttled (429 inside a ${res.status} body)`, {
          status: 429,
          method: 'POST',
          path: label,
        });
      return { status: res.status, webhook };
    },
  };
}
