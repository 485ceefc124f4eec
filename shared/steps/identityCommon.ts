// What the identity containment steps share (response-actions.md §6): the input (a user by Entra object id or UPN,
// and optionally the incident it concerns, for the report), the Graph identity client, resolving a user to its
// object id (404 → the caller's `user` field), the write-guard target `user:<object id>`, and one run loop: read,
// guard, dry run showing the exact request, claim, send, settle.
import type { DirectoryUser, IdentityClient, IdentityRequest } from '../defender/identityClient';
import { isUserRef } from '../defender/identityClient';
import { AppError, DefenderApiError, InputError } from '../errors';
import type { CompiledValue } from '../workflows/expressions';
import { expectObject, incidentIdOf } from './common';
import { settleFailedWrite } from './settleWrite';
import {
  withChanges,
  type ActionModule,
  type Report,
  type StepChange,
  type StepResult,
  type StepRuntime,
} from './types';

/** What the load-time check and the errors name: the Graph API identity steps call. */
export const IDENTITY_API = 'Microsoft Graph users and identityProtection/riskyUsers';

export interface UserInput {
  user: string;
  incidentId?: string;
}

export function identityOf(rt: StepRuntime): IdentityClient {
  const client = rt.defender.identity;
  if (!client)
    throw new AppError(
      'CONFIG_INVALID',
      'identity steps need Microsoft Graph (users, riskyUsers), and this deployment built no Graph client for them',
    );
  return client;
}

export const userTarget = (objectId: string): string => `user:${objectId}`;

/** @throws {InputError} naming the field. */
export function parseUserInput(value: unknown): UserInput {
  const obj = expectObject(value, ['user', 'incidentId']);
  const raw = typeof obj.user === 'string' ? obj.user.trim() : obj.user;
  if (typeof raw !== 'string' || !isUserRef(raw)) {
    const got = raw === undefined ? 'nothing' : (JSON.stringify(raw)?.slice(0, 80) ?? typeof raw);
    throw new InputError(
      'user',
      `user must be an Entra object id (GUID, userEvidence.userAccount.azureAdUserId) or a user principal name, got ${got}`,
    );
  }
  return {
    user: raw,
    ...(obj.incidentId !== undefined && obj.incidentId !== null && obj.incidentId !== ''
      ? { incidentId: incidentIdOf(obj.incidentId) }
      : {}),
  };
}

/** Load time: a literal user must look like one. */
export function checkUserInput(input: CompiledValue, _ctx: unknown, report: Report): void {
  if (input.kind !== 'object') return;
  const user = input.entries.find(([k]) => k === 'user')?.[1];
  if (!user) report('', 'set user: an Entra object id or user principal name');
  else if (user.kind === 'literal' && (typeof user.value !== 'string' || !isUserRef(user.value.trim())))
    report(
      '.user',
      `user must be an Entra object id (GUID) or a user principal name, got ${JSON.stringify(user.value)}`,
    );
}

/** The user as Graph knows it. @throws {InputError} (user) when Graph has no such user (404). */
export async function resolveUser(client: IdentityClient, rt: StepRuntime, user: string): Promise<DirectoryUser> {
  try {
    return await client.getUser(user, rt.signal ? { signal: rt.signal } : {});
  } catch (e) {
    if (e instanceof DefenderApiError && e.status === 404)
      throw new InputError('user', `no user '${user}' in the directory (Graph answered 404)`);
    throw e;
  }
}

/** The StepChange's patch: the exact request (method, path, body). */
export const requestPatch = (r: IdentityRequest): Record<string, unknown> => ({
  method: r.method,
  path: r.path,
  ...(r.body ? { body: r.body } : {}),
});

export interface IdentityAction {
  /** The intent hashed into the write key (the kind of change). */
  intent: string;
  /** The request that makes the change. */
  request(user: DirectoryUser): IdentityRequest;
  /** True when the user already shows the change (nothing is sent). */
  already?(user: DirectoryUser): boolean;
  send(client: IdentityClient, user: DirectoryUser, call: { signal?: AbortSignal | undefined }): Promise<void>;
}

/** The run loop every identity step uses. */
export async function runIdentityAction(a: IdentityAction, input: UserInput, rt: StepRuntime): Promise<StepResult> {
  const client = identityOf(rt);
  const call = rt.signal ? { signal: rt.signal } : {};
  const counts = { applied: 0, unchanged: 0, alreadyDone: 0, wouldApply: 0 };
  const user = await resolveUser(client, rt, input.user);
  const target = { kind: 'user' as const, id: user.id };
  const request = a.request(user);
  const done = (outcome: StepChange['outcome'], extra: Partial<StepChange> = {}): StepResult => {
    counts[outcome === 'alreadyDone' ? 'alreadyDone' : outcome === 'wouldApply' ? 'wouldApply' : outcome]++;
    const change: StepChange = {
      incidentId: input.incidentId ?? '',
      target,
      patch: outcome === 'alreadyDone' ? {} : requestPatch(request),
      outcome,
      ...extra,
    };
    return {
      output: { userId: user.id, userPrincipalName: user.userPrincipalName, outcome },
      counts,
      changes: [change],
    };
  };
  const write = await rt.writes.prepare(userTarget(user.id), { kind: a.intent });
  if (write.done) return done('alreadyDone');
  return rt.withIncidentLock(userTarget(user.id), async () => {
    if (rt.dryRun) return done(a.already?.(user) ? 'unchanged' : 'wouldApply');
    const claim = await write.claim();
    if (claim === 'done') return done('alreadyDone');
    const now = claim === 'resumed' ? await resolveUser(client, rt, user.id) : user;
    const replayed = claim === 'resumed' ? { replayed: true as const } : {};
    if (a.already?.(now)) {
      await write.complete();
      return done('unchanged', replayed);
    }
    try {
      await a.send(client, now, call);
      await write.complete();
    } catch (e) {
      const applied = await settleFailedWrite(write, e, {
        sent: true,
        partial: claim === 'resumed',
        incidentId: userTarget(user.id),
        logger: rt.logger,
        readBack: async () => (a.already ? a.already(await client.getUser(user.id, call)) : false),
      });
      if (!applied) throw withChanges(e, []);
    }
    return done('applied', replayed);
  });
}

/** An identity step module: the shared parse/check, this action's run. */
export function identityStep(a: IdentityAction, destructive?: string): ActionModule<UserInput> {
  return {
    check: checkUserInput,
    parse: parseUserInput,
    run: (input, rt) => runIdentityAction(a, input, rt),
    subject: (input) => ({
      target: { kind: 'user', id: input.user },
      ...(input.incidentId !== undefined ? { incidentId: input.incidentId } : {}),
    }),
    ...(destructive ? { destructive } : {}),
  };
}
