// notifyTeams: posts a message card to a Teams channel through a Workflows webhook (shared/notify/teams.ts), at most
// once per channel and distinct message (or per delivery). The write is keyed `teams:<hash of the URL>`: the URL
// holds a SAS signature, so neither the key, the report nor the dry run shows it.
// Teams offers no way to read a channel back through a webhook, so a post whose outcome is unknown (a 5xx or a
// timeout after sending) stays pending, and the next attempt posts again: the card carries the write's marker, so
// a rare duplicate can be told for what it is.
import { createHash } from 'node:crypto';
import { InputError } from '../errors';
import { messageCard, type TeamsFact, type TeamsLink, type TeamsMessage } from '../notify/teams';
import { expectObject, isRecord } from './common';
import { notifyOf, optionalIncidentId, sentAs, textOf } from './notifyCommon';
import { settleFailedWrite } from './settleWrite';
import type { ActionModule, StepChange, StepResult, StepRuntime } from './types';

export interface NotifyTeamsInput extends TeamsMessage {
  incidentId?: string;
  webhookSecret?: string;
}

const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

function factsOf(v: unknown): TeamsFact[] | undefined {
  if (v === undefined || v === null) return undefined;
  const text = (x: unknown): string => (typeof x === 'string' ? x : (JSON.stringify(x) ?? ''));
  if (Array.isArray(v))
    return v.map((f, i) => {
      if (!isRecord(f) || typeof f.title !== 'string')
        throw new InputError(`facts[${i}]`, 'each fact must be { title, value } with a string title');
      return { title: f.title, value: text(f.value) };
    });
  if (isRecord(v)) return Object.entries(v).map(([title, value]) => ({ title, value: text(value) }));
  throw new InputError('facts', 'facts must be a list of { title, value } or an object');
}

function linksOf(v: unknown): TeamsLink[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new InputError('links', 'links must be a list of { title, url }');
  return v.map((l, i) => {
    if (!isRecord(l) || typeof l.title !== 'string' || l.title === '' || typeof l.url !== 'string')
      throw new InputError(`links[${i}]`, 'each link must be { title, url }');
    let url: URL | undefined;
    try {
      url = new URL(l.url);
    } catch {
      url = undefined;
    }
    if (url?.protocol !== 'https:') throw new InputError(`links[${i}].url`, 'a link must be an https:// URL');
    return { title: l.title, url: l.url };
  });
}

function parse(value: unknown): NotifyTeamsInput {
  const obj = expectObject(value, ['incidentId', 'title', 'text', 'facts', 'links', 'webhookSecret']);
  const incidentId = optionalIncidentId(obj);
  if (obj.title !== undefined && obj.title !== null && typeof obj.title !== 'string')
    throw new InputError('title', 'title must be a string');
  const secret = obj.webhookSecret;
  if (secret !== undefined && (typeof secret !== 'string' || !SECRET_NAME.test(secret)))
    throw new InputError('webhookSecret', 'webhookSecret must be a Key Vault secret name (letters, digits, dashes)');
  const facts = factsOf(obj.facts);
  const links = linksOf(obj.links);
  return {
    text: textOf(obj),
    ...(incidentId !== undefined ? { incidentId } : {}),
    ...(typeof obj.title === 'string' && obj.title !== '' ? { title: obj.title } : {}),
    ...(facts ? { facts } : {}),
    ...(links ? { links } : {}),
    ...(typeof secret === 'string' ? { webhookSecret: secret } : {}),
  };
}

async function run(input: NotifyTeamsInput, rt: StepRuntime): Promise<StepResult> {
  const teams = notifyOf(rt).teams;
  const { incidentId = '', webhookSecret, ...message } = input;
  const webhook = await teams.webhookHash(webhookSecret);
  const targetKey = `teams:${webhook}`;
  // The write is one message to the channel: a run keyed by an idempotency key or delivery names its writes by step
  // and target only, so the message's hash (parse builds it in a fixed field order) keeps a forEach's cards to the
  // same channel apart, each its own write.
  const messageHash = createHash('sha256').update(JSON.stringify(message)).digest('hex').slice(0, 16);
  const write = await rt.writes.prepare(`${targetKey}:${messageHash}`, { kind: 'teams', ...message });
  const card = messageCard({ ...message, text: rt.markComment(message.text, write.markerId) });
  const counts = { applied: 0, alreadyDone: 0, wouldApply: 0 };
  const result = (outcome: StepChange['outcome'], replayed = false): StepResult => {
    counts[outcome === 'unchanged' ? 'alreadyDone' : outcome]++;
    const preview = teams.preview({ card, webhookSecret });
    return {
      output: { webhook, outcome },
      counts,
      changes: [
        {
          incidentId,
          target: { kind: 'teams', id: webhook },
          ...(outcome === 'alreadyDone'
            ? { patch: {} }
            : sentAs({ method: preview.method, path: preview.url, body: preview.body })),
          ...(outcome === 'alreadyDone' ? {} : { comment: rt.markComment(message.text, write.markerId) }),
          outcome,
          ...(replayed ? { replayed: true as const } : {}),
        },
      ],
    };
  };
  if (write.done) return result('alreadyDone');
  return rt.withIncidentLock(targetKey, async () => {
    if (rt.dryRun) {
      teams.preview({ card, webhookSecret }); // refuses a card Teams would refuse, in the dry run too
      return result('wouldApply');
    }
    const claim = await write.claim();
    if (claim === 'done') return result('alreadyDone');
    try {
      await teams.post({ card, webhookSecret, signal: rt.signal });
      await write.complete();
    } catch (e) {
      await settleFailedWrite(write, e, {
        sent: !(e instanceof InputError),
        partial: claim === 'resumed',
        incidentId: targetKey,
        logger: rt.logger,
        readBack: () => Promise.reject(new Error('a Teams channel cannot be read back through its webhook')),
      });
      throw e;
    }
    return result('applied', claim === 'resumed');
  });
}

export const notifyTeams: ActionModule<NotifyTeamsInput> = { parse, run };
