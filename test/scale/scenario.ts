// The scale-out scenario of issue 13 ("Prove it"), run by test/scale/scaleOut.test.ts (CI size; RIPOSTE_SCALE_FULL=1 for
// the size) and by bench/scaleOut.ts (the figures). Several local hosts, each its own process, share one
// Azurite and one sandbox that enforces the documented per-tenant quota (time-scaled: a "minute" lasts 60 s × scale,
// an "hour" 3,600 s × scale). At once: signed webhook deliveries (some sent twice), two scheduled sweeps and
// concurrent Logic Apps-style workflow calls; one host is SIGKILLed midway and a new one started. Afterwards it
// checks, in the sandbox's incident state, that every accepted change was applied exactly once and no sweep window
// was skipped or repeated, and measures the API's throttled answers, quota utilisation over the busy period and the
// shared quota's storage calls per API call (from each surviving host's deep health).
import { randomBytes } from 'node:crypto';
import type { StoredIncident } from '../../sandbox/index';
import { checkKqlSyntax } from '../../sandbox/kql';
import type { RateLimitWindow } from '../../shared/config';
import { createTableStateStore } from '../../shared/state/tableState';
import { isRiposteComment } from '../../shared/steps';
import {
  appSettings,
  peekQueue,
  queueLength,
  signedStandard,
  waitFor,
  type HostProcess,
  type HttpAnswer,
  type SignedDelivery,
} from '../reliability/harness';
import { HostFleet, sweepTargets, widenedSweepContent } from '../reliability/hostFleet';
import { idealSpan, maxInWindow } from './yardstick';
import { mulberry32 as prng } from '../../sandbox/prng';

export interface ScaleOutOptions {
  deliveries: number;
  /** Incidents the deliveries are spread over (events for one incident are applied one at a time). */
  incidents: number;
  logicAppsCalls: number;
  hosts: number;
  /** RATE_LIMIT_WINDOW_SCALE and the sandbox's rateLimitScale. */
  scale: number;
  /** Webhook senders at once. */
  senders: number;
  logicAppsConcurrency: number;
  /** MAX_RETRY_AFTER_SECONDS: how long a call may wait for quota (an hour-bound backlog waits longer than 60 s). */
  maxRetryAfterSeconds?: number;
  /** How long to wait for the backlog to drain (ms). */
  drainTimeoutMs: number;
  log?: (line: string) => void;
}

export interface ScaleOutResult {
  options: Omit<ScaleOutOptions, 'log'>;
  /** Everything that went wrong: a change applied twice or not at all, a window skipped or repeated, ... */
  problems: string[];
  deliveries: { sent: number; duplicates: number; accepted: number; refusedForGood: number; retriedSends: number };
  logicApps: { calls: number; succeeded: number; retries: number; statuses: Record<string, number> };
  api: { calls: number; throttled: number; byFamily: Record<string, number> };
  /** Throttled (429) answers of the API ÷ all its answers, in %. */
  throttledPct: number;
  /** Incident calls accepted during the busy period, its length, a perfect client's time for as many, and the ratio. */
  incidentCalls: number;
  busyMs: number;
  idealMs: number;
  utilisation: number;
  /** The most incident calls the API saw in any window of the allowance's minute. */
  busiestMinute: number;
  /** Σ storage calls ÷ Σ shared permits over the hosts alive at the end (their deep health). */
  storageCallsPerApiCall: number;
  quotaStats: Array<Record<string, unknown>>;
  /** The hosts' [quota] log lines: the shared quota falling back to the per-process limiter, and coming back. */
  quotaEvents: string[];
  kill: { atApplied: number; restartedAfterMs: number };
  /** Extra timer ticks the drain fired because a sweep window was still pending (the killed host's, say). */
  catchUpTicks: number;
  windows: string[];
  durationMs: number;
}

/** CI size (about two minutes on two cores) and the size (RIPOSTE_SCALE_FULL=1, about half an hour). */
export const SCALE_OUT_SIZES: Record<'ci' | 'full', Omit<ScaleOutOptions, 'log'>> = {
  ci: {
    deliveries: 60,
    incidents: 60,
    logicAppsCalls: 8,
    hosts: 4,
    scale: 0.25,
    senders: 16,
    logicAppsConcurrency: 4,
    drainTimeoutMs: 60_000,
  },
  full: {
    deliveries: 2000,
    incidents: 1000,
    logicAppsCalls: 40,
    hosts: 4,
    scale: 0.05,
    senders: 32,
    logicAppsConcurrency: 8,
    maxRetryAfterSeconds: 300,
    drainTimeoutMs: 1_500_000,
  },
};

const QUEUE = 'riposte-ticket-events';
const SWEEP = 'suspicious-powershell';
const TRIAGE = 'stale-incident-triage';
const INCIDENT_FAMILIES = new Set(['incidentsList', 'incidentsGet', 'incidentsUpdate', 'comments']);
const API_FAMILIES = new Set([...INCIDENT_FAMILIES, 'hunting']);

interface Planned {
  delivery: SignedDelivery;
  /** Marks this event's comment; undefined for a redelivery of an earlier one. */
  token?: string;
  incidentId: string;
  /** Index of the delivery this one repeats. */
  of?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Again if the connection dropped: a kept-alive socket the host closed just as the request went out ("fetch
 * failed"), which an idle pause between phases makes likely.
 */
async function again<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= 2) throw e;
      await sleep(200);
    }
  }
}

/** Each quota family's counters (deep health) on one host. */
async function quotaStatsOf(host: HostProcess): Promise<Record<string, Record<string, number>>> {
  const r = await again(() => host.call('GET', '/api/health/deep'));
  const families = (r.json as { quota?: { families?: Record<string, { stats: Record<string, number> }> } })?.quota
    ?.families;
  return Object.fromEntries(Object.entries(families ?? {}).map(([family, f]) => [family, f.stats]));
}

/**
 * A stateful Logic Apps HTTP action's asynchronous pattern (integration-conventions.md, "asynchronous pattern"): a
 * 202 with a Location is polled, honouring Retry-After, until the answer is not 202. Any live host answers (the
 * run's state is in storage), as behind the app's own front end.
 */
async function followAsync(first: HttpAnswer, anyHost: () => HostProcess): Promise<HttpAnswer> {
  let r = first;
  const until = Date.now() + 300_000;
  while (r.status === 202 && Date.now() < until) {
    const location = r.headers.get('location');
    if (!location) return r;
    const retryAfter = Number(r.headers.get('retry-after') ?? '');
    // Logic Apps waits Retry-After (20 s by default); capped here, the quota being time-scaled.
    await sleep(Math.min(5000, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 1000));
    const url = new URL(location, 'http://127.0.0.1');
    try {
      r = await anyHost().call('GET', `${url.pathname}${url.search}`);
    } catch {
      // That host is gone (killed): the next poll goes to another.
    }
  }
  return r;
}

/** Fires a scheduled workflow's timer on a host (the admin API, as the portal's "Test/Run"). */
const fire = (host: HostProcess | undefined, workflow: string): Promise<void> =>
  again(() => (host as HostProcess).fireTimer(`workflow-${workflow}`));

export async function runScaleOut(options: ScaleOutOptions): Promise<ScaleOutResult> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const fleet = new HostFleet();
  const { secrets, hosts } = fleet;
  let progress: NodeJS.Timeout | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let lag: NodeJS.Timeout | undefined;
  try {
    const b = await fleet.open({ rateLimits: true, rateLimitScale: options.scale });
    const { sandbox, azurite } = b;
    const control = sandbox.control;
    const content = widenedSweepContent(fleet.scratch);
    const settings = appSettings(b, secrets, {
      CONTENT_DIR: content,
      RATE_LIMIT_WINDOW_SCALE: String(options.scale),
      // A killed host's window, incident and write leases are taken over 15 s after its last renewal (5 s is too
      // tight for renewals on a loaded two-core runner).
      LEASE_SECONDS: '15',
      ...(options.maxRetryAfterSeconds ? { MAX_RETRY_AFTER_SECONDS: String(options.maxRetryAfterSeconds) } : {}),
    });
    const hostJsonPath = fleet.scratch.hostJson({ visibilityTimeout: '00:00:02', maxPollingInterval: '00:00:00.500' });
    // A killed host's messages come back after 5 s instead of the host's 10 minutes.
    const startHost = (): Promise<HostProcess> =>
      fleet.start({ settings, hostJsonPath, queueLeaseMs: 5000, startTimeoutMs: 90_000 });
    const alive: HostProcess[] = await Promise.all(Array.from({ length: options.hosts }, startHost));
    log(`${alive.length} hosts up after ${Date.now() - started} ms`);
    let turn = 0;
    const nextHost = (): HostProcess => alive[turn++ % alive.length] as HostProcess;

    // What the sweeps will touch, as the sandbox holds it before they run.
    const state = createTableStateStore(azurite.connectionString);
    const huntTargets = sweepTargets(control);
    const weekAgo = Date.now() - 7 * 86_400_000;
    const staleTargets = control
      .incidents()
      .filter(
        (i) =>
          ['active', 'inProgress'].includes(i.status) &&
          Date.parse(i.lastUpdateDateTime) < weekAgo &&
          !i.customTags.includes('stale'),
      )
      .map((i) => String(i.id));
    const incidentIds = Array.from({ length: options.incidents }, () => String(control.addIncident().id));

    // The deliveries: one comment token each; about 5 % are redeliveries of an earlier one (same delivery id).
    const random = prng(13_013);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const plan: Planned[] = [];
    for (let n = 0; n < options.deliveries; n++) {
      // Every twentieth is a redelivery of an earlier one (a sender that did not see its answer), 5 % in all.
      if (n % 20 === 19) {
        const of = Math.floor(random() * n);
        const original = plan[of] as Planned;
        plan.push({ delivery: original.delivery, incidentId: original.incidentId, of: original.of ?? of });
        continue;
      }
      const incidentId = pick(incidentIds);
      const token = `scale-evt-${n};`;
      const body = {
        id: `scale-${n}`,
        incidentId,
        status: pick(['active', 'inProgress']),
        ticketId: `SCALE-${incidentId}`,
        comment: `${token} ticket update ${n}`,
      };
      plan.push({ delivery: signedStandard(body, secrets.generic, { id: `wh-scale-${n}` }), token, incidentId });
    }

    const statusOf = (id: string): StoredIncident => control.incident(id) as StoredIncident;
    // Warm-up, not measured: a delivery and a workflow run through each host, so that loading the webhook, engine
    // and queue code (a cold start) is not counted as time the quota stood idle.
    const warmIncident = String(control.addIncident().id);
    await Promise.all(
      alive.map(async (h, i) => {
        const answer = await h.call('POST', '/api/workflows/ticket-sync/run', {
          body: {
            input: { incidentId: warmIncident, ticketId: 'SCALE-WARM', comment: `scale-warm-run-${i}; warm-up` },
          },
        });
        const run = await followAsync(answer, () => h);
        if (run.status !== 200) throw new Error(`warm-up run: HTTP ${run.status}`);
        const d = signedStandard(
          {
            id: `warm-${i}`,
            incidentId: warmIncident,
            status: 'active',
            ticketId: 'SCALE-WARM',
            comment: `scale-warm-${i}; warm-up`,
          },
          secrets.generic,
          { id: `wh-warm-${i}` },
        );
        const r = await h.call('POST', '/api/webhooks/generic', { body: d.body, headers: d.headers });
        if (r.status !== 202 && r.status !== 200) throw new Error(`warm-up delivery: HTTP ${r.status}`);
      }),
    );
    await waitFor(
      'the warm-up deliveries applied',
      () => statusOf(warmIncident).comments.filter((c) => c.comment.includes('scale-warm-')).length >= 2 * alive.length,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    // The sandbox (in this process) loads its KQL parser on the first hunting query: seconds of CPU that would stall
    // every API answer at once. Defender's own hunting service does not stop the incidents API meanwhile.
    checkKqlSyntax('DeviceProcessEvents | take 1');
    const warmStats = new Map<number, Record<string, Record<string, number>>>();
    for (const h of alive) warmStats.set(h.pid, await quotaStatsOf(h));
    log(`warmed up after ${Date.now() - started} ms`);

    const logFrom = control.requests().length;
    const t0 = Date.now();
    const appliedTokens = (): number =>
      incidentIds.reduce(
        (n, id) => n + statusOf(id).comments.filter((c) => c.comment.includes('scale-evt-')).length,
        0,
      );

    // The busy period: while deliveries wait in the queue, every host has all the messages it takes at once, so the
    // quota, not the hosts, is what holds the work back.
    const backlog: Array<{ at: number; length: number }> = [];
    sampler = setInterval(() => {
      void queueLength(azurite.connectionString, QUEUE).then(
        (length) => backlog.push({ at: Date.now(), length }),
        () => undefined,
      );
    }, 500);
    let lastBeat = Date.now();
    // A stalled test process stalls the sandbox too (it answers from here): say so in the log.
    lag = setInterval(() => {
      const t = Date.now();
      if (t - lastBeat > 500) log(`test process event loop blocked ${t - lastBeat} ms`);
      lastBeat = t;
    }, 100);
    lag.unref();
    progress = setInterval(() => {
      const calls = control.requests().slice(logFrom);
      log(
        `${Math.round((Date.now() - t0) / 1000)} s: ${nextDelivery}/${plan.length} sent, ${appliedTokens()} applied, ` +
          `${calls.length} API calls (${calls.filter((r) => r.status === 429).length} throttled)`,
      );
    }, 10_000);
    // Sweep 1: the hunt fired on two hosts at once (one runs the window, the other finds it held), the triage on a
    // third.
    await Promise.all([
      fire(alive[0], SWEEP),
      fire(alive[1 % alive.length], SWEEP),
      fire(alive[2 % alive.length], TRIAGE),
    ]);

    /** Sends until a final answer, moving to another host when one does not answer (as a load balancer would). */
    let retriedSends = 0;
    const send = async (d: SignedDelivery): Promise<HttpAnswer | undefined> => {
      // A webhook source retries for minutes; a delivery a killed host was accepting stays claimed until the claim
      // goes stale (60 s, shared/automation/acceptDelivery.ts), so keep at it for two.
      const until = Date.now() + 120_000;
      while (Date.now() < until) {
        const host = nextHost();
        let retryAfterMs = 200;
        try {
          const r = await host.call('POST', '/api/webhooks/generic', { body: d.body, headers: d.headers });
          // 409: the same delivery is being accepted by an earlier attempt (one that lost its host, say): later.
          if (r.status < 500 && r.status !== 409) return r;
          const after = Number(r.headers.get('retry-after') ?? '');
          if (Number.isFinite(after) && after > 0) retryAfterMs = Math.min(5000, after * 1000);
        } catch {
          // The host is gone (killed): the next one takes it.
        }
        retriedSends++;
        await sleep(retryAfterMs);
      }
      return undefined;
    };
    const answers: Array<HttpAnswer | undefined> = new Array(plan.length);
    const answered: Array<Promise<void> | undefined> = new Array(plan.length);
    let nextDelivery = 0;
    const senders = Array.from({ length: options.senders }, async () => {
      while (nextDelivery < plan.length) {
        const i = nextDelivery++;
        const p = plan[i] as Planned;
        // A redelivery comes after the sender had its answer for the original.
        if (p.of !== undefined) await answered[p.of];
        answered[i] = send(p.delivery).then((r) => {
          answers[i] = r;
        });
        await answered[i];
      }
    });

    // Logic Apps HTTP actions: run ticket-sync synchronously; the retry policy retries 408, 429, 5xx and timeouts,
    // honouring Retry-After (integration-conventions.md §1.2), with the run id + action name as the idempotency key.
    const laStatuses: Record<string, number> = {};
    let laRetries = 0;
    const laTokens: Array<{ token: string; incidentId: string; status?: number }> = [];
    let nextLa = 0;
    const logicApps = Array.from({ length: options.logicAppsConcurrency }, async () => {
      while (nextLa < options.logicAppsCalls) {
        const i = nextLa++;
        const incidentId = pick(incidentIds);
        const token = `scale-la-${i};`;
        const entry: (typeof laTokens)[number] = { token, incidentId };
        laTokens.push(entry);
        const runId = `0858${randomBytes(10).toString('hex').toUpperCase()}CU${i}`;
        for (let attempt = 0; attempt <= 4; attempt++) {
          let r: HttpAnswer | undefined;
          try {
            r = await nextHost().call('POST', '/api/workflows/ticket-sync/run', {
              body: { input: { incidentId, ticketId: `LA-${i}`, comment: `${token} from a Logic App` } },
              headers: {
                'x-ms-workflow-run-id': runId,
                'x-ms-workflow-operation-name': 'Apply_ticket_change',
                'x-ms-workflow-name': 'riposte-scale',
                'x-ms-client-tracking-id': runId,
              },
            });
            // Answered 202 + Location: the run goes on in the background; the action polls for its report.
            if (r.status === 202) r = await followAsync(r, nextHost);
          } catch {
            r = undefined;
          }
          const status = r?.status ?? 0;
          laStatuses[status] = (laStatuses[status] ?? 0) + 1;
          entry.status = status;
          // Logic Apps retries 408, 429 and 5xx. 409 (the same run id still running, e.g. on a host that died) is
          // retried here too, after its Retry-After: the default policy would give up, a workflow author may not.
          if (r && ![408, 409, 429].includes(status) && status < 500) break;
          laRetries++;
          const retryAfter = Number(r?.headers.get('retry-after') ?? '');
          // The policy's own interval is 7 s and up; scaled with the quota so the test does not idle.
          await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 2 ** attempt * 500);
        }
      }
    });

    // Midway: kill the first host without warning, then start another in its place.
    const kill = (async () => {
      const atApplied = await waitFor(
        'half the deliveries applied',
        () => {
          const n = appliedTokens();
          return n >= options.deliveries * 0.4 ? n : undefined;
        },
        { timeoutMs: options.drainTimeoutMs, intervalMs: 200 },
      );
      const victim = alive.shift() as HostProcess;
      await victim.kill();
      const killedAt = Date.now();
      log(`killed host ${victim.pid} with ${atApplied} deliveries applied, ${Date.now() - t0} ms in`);
      const fresh = await startHost();
      alive.push(fresh);
      log(`restarted as ${fresh.pid} after ${Date.now() - killedAt} ms`);
      return { atApplied, restartedAfterMs: Date.now() - killedAt };
    })();

    await Promise.all([...senders, ...logicApps]);
    const killInfo = await kill;
    const accepted = plan
      .map((p, i) => ({ p, r: answers[i] }))
      .filter(({ p, r }) => p.token !== undefined && (r?.status === 202 || r?.status === 200));
    log(`sent ${plan.length} deliveries (${accepted.length} accepted) in ${Date.now() - t0} ms; draining`);

    /** The end of the scheduled workflow's last completed window, once no window is pending. */
    const settledWindow = async (workflow: string) => {
      const w = await state.getWatermark(workflow);
      return w.watermark !== undefined && w.pending === undefined ? w.watermark : undefined;
    };
    const sweepWindow = () => settledWindow(SWEEP);
    // The schedule's next tick, as the timer would fire it: a window left pending by the killed host (its lease lapses
    // after LEASE_SECONDS) or by a run that failed or ended throttled is resumed by the next run, on a live host.
    let lastTick = Date.now();
    let catchUpTicks = 0;
    const catchUp = async (workflows: string[]) => {
      const unsettled: string[] = [];
      for (const wf of workflows) if ((await settledWindow(wf)) === undefined) unsettled.push(wf);
      if (unsettled.length > 0 && Date.now() - lastTick > 6000) {
        lastTick = Date.now();
        catchUpTicks++;
        await Promise.all(unsettled.map((wf) => fire(alive.at(-1), wf).catch(() => undefined)));
      }
      return unsettled.length === 0;
    };
    await waitFor(
      'every accepted delivery applied, the queue empty and both scheduled workflows done',
      async () =>
        (await catchUp([SWEEP, TRIAGE])) &&
        appliedTokens() >= accepted.length &&
        (await queueLength(azurite.connectionString, QUEUE)) === 0,
      { timeoutMs: options.drainTimeoutMs, intervalMs: 500 },
    ).catch(async (e: unknown) =>
      log(
        `${String(e)}: applied ${appliedTokens()}/${accepted.length}, queue ${await queueLength(azurite.connectionString, QUEUE)}, ` +
          `sweep ${JSON.stringify(await state.getWatermark(SWEEP))}, triage ${JSON.stringify(await state.getWatermark(TRIAGE))}; ` +
          hosts
            .flatMap((h) => h.lines.filter((l) => /\[timer\]|poison|quota/.test(l)))
            .slice(-20)
            .join(' | '),
      ),
    );
    clearInterval(progress);
    clearInterval(sampler);

    const busyLog = control.requests().slice(logFrom);
    log(`drained ${Date.now() - t0} ms in`);

    // Sweep 2, after the restart: the hunt continues from where sweep 1 ended; the triage finds nothing new.
    const firstEnd = await sweepWindow();
    const firstTriage = await settledWindow(TRIAGE);
    lastTick = Date.now();
    await Promise.all([fire(alive.at(-1), SWEEP), fire(alive[0], SWEEP), fire(alive[1 % alive.length], TRIAGE)]);
    await waitFor(
      'sweep 2',
      async () => {
        const done = await catchUp([SWEEP, TRIAGE]);
        return done && (await sweepWindow()) !== firstEnd && (await settledWindow(TRIAGE)) !== firstTriage;
      },
      { timeoutMs: 120_000, intervalMs: 300 },
    ).catch((e: unknown) => log(String(e)));

    // The quota as each surviving host saw it.
    // The quota as each surviving host saw it, less what it had counted by the end of the warm-up.
    const quotaStats: Array<Record<string, unknown>> = [];
    let storageCalls = 0;
    let permits = 0;
    for (const h of alive) {
      for (const [family, stats] of Object.entries(await quotaStatsOf(h))) {
        const before = warmStats.get(h.pid)?.[family] ?? {};
        const since = Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, v - (before[k] ?? 0)]));
        quotaStats.push({ host: h.pid, family, ...since });
        storageCalls += since.storageCalls ?? 0;
        permits += since.permits ?? 0;
      }
    }

    // ---- Exactly once, in the sandbox's incident state.
    const problems: string[] = [];
    const byIncident = new Map(incidentIds.map((id) => [id, statusOf(id)]));
    for (const { p } of accepted) {
      const found = (byIncident.get(p.incidentId)?.comments ?? []).filter((c) =>
        c.comment.includes(p.token as string),
      ).length;
      if (found !== 1) problems.push(`${p.token} applied ${found} times on incident ${p.incidentId}`);
    }
    const refused = plan.filter((p, i) => p.token !== undefined && !accepted.some((a) => a.p === p) && answers[i]);
    for (const p of refused)
      problems.push(`${p.token} was refused: ${JSON.stringify(answers[plan.indexOf(p)]?.status)}`);
    for (const la of laTokens) {
      const found = statusOf(la.incidentId).comments.filter((c) => c.comment.includes(la.token)).length;
      if (la.status === 200 && found !== 1) problems.push(`${la.token} (Logic Apps) applied ${found} times`);
      if (la.status !== 200) problems.push(`${la.token} (Logic Apps) ended with ${la.status}`);
    }
    const scaleComments = [...byIncident.values()].reduce(
      (n, i) => n + i.comments.filter((c) => /scale-(evt|la)-\d+;/.test(c.comment)).length,
      0,
    );
    const expected = accepted.length + laTokens.filter((l) => l.status === 200).length;
    if (scaleComments !== expected) problems.push(`${scaleComments} ticket comments for ${expected} accepted changes`);
    const poisoned = await peekQueue(azurite.connectionString, `${QUEUE}-poison`);
    if (poisoned.length > 0) problems.push(`poisoned: ${JSON.stringify(poisoned).slice(0, 800)}`);
    if ((await queueLength(azurite.connectionString, QUEUE)) !== 0)
      problems.push('the ticket-event queue is not empty');

    // ---- Windows: the hunts covered one stretch of time without a gap or an overlap, ending at the watermark (a
    // window resumed after the kill is the same window, asked again).
    const windows = [
      ...new Set(
        control
          .huntingQueries()
          .map((q) => q.timespan)
          .filter((t): t is string => t !== undefined),
      ),
    ];
    const final = await state.getWatermark(SWEEP);
    const spans = windows.map((w) => w.split('/') as [string, string]).sort((x, y) => x[0].localeCompare(y[0]));
    const contiguous = spans.every((w, i) => i === 0 || (spans[i - 1] as [string, string])[1] === w[0]);
    if (spans.length < 2 || !contiguous || spans.at(-1)?.[1] !== final.watermark || final.pending)
      problems.push(`sweep windows ${JSON.stringify(windows)}, final watermark ${JSON.stringify(final)}`);
    for (const id of huntTargets) {
      const inc = statusOf(id);
      const tags = inc.customTags.filter((t) => t === SWEEP).length;
      const hunts = inc.comments.filter((c) => isRiposteComment(c.comment) && c.comment.startsWith('Hunt ')).length;
      if (tags !== 1 || hunts !== 1) problems.push(`hunt target ${id}: ${tags} tags, ${hunts} hunt comments`);
    }
    for (const id of staleTargets) {
      const inc = statusOf(id);
      const tags = inc.customTags.filter((t) => t === 'stale').length;
      const notes = inc.comments.filter((c) => isRiposteComment(c.comment) && /stale|triage/i.test(c.comment)).length;
      if (tags !== 1 || notes !== 1)
        problems.push(`stale incident ${id}: ${tags} stale tags, ${notes} triage comments`);
    }

    // ---- Figures.
    const all = control
      .requests()
      .slice(logFrom)
      .filter((r) => API_FAMILIES.has(r.family));
    const throttled = all.filter((r) => r.status === 429).length;
    const byFamily: Record<string, number> = {};
    for (const r of all) byFamily[r.family] = (byFamily[r.family] ?? 0) + 1;
    const incidentArrivals = control
      .requests()
      .slice(0, logFrom)
      .concat(busyLog)
      .filter((r) => INCIDENT_FAMILIES.has(r.family) && r.status !== 429 && r.status !== 0)
      .map((r) => r.at)
      .sort((x, y) => x - y);
    const allowance: RateLimitWindow[] = [
      { limit: 50, windowMs: 60_000 * options.scale },
      { limit: 1500, windowMs: 3_600_000 * options.scale },
    ];
    // The busy period: from the first time the allowance was spent (a minute window held all its calls: from then on
    // the quota, not the hosts picking up their first messages, holds the work back) while deliveries still wait in
    // the queue, to the last call made while they do.
    const waiting = backlog.filter((s) => s.length > 0).map((s) => s.at);
    const minute = allowance[0] as RateLimitWindow;
    const fullFrom = incidentArrivals.findIndex(
      (t, i) =>
        i + minute.limit - 1 < incidentArrivals.length &&
        (incidentArrivals[i + minute.limit - 1] as number) - t < minute.windowMs,
    );
    const busyFrom = Math.max(waiting[0] ?? Infinity, incidentArrivals[fullFrom] ?? Infinity);
    const busyTo = waiting.at(-1) ?? -Infinity;
    const busyCalls = incidentArrivals.filter((t) => t >= busyFrom && t <= busyTo);
    const busyMs = (busyCalls.at(-1) ?? 0) - (busyCalls[0] ?? 0);
    // A perfect client making as many calls from the first one on, with the calls before it still in its windows.
    const idealMs = idealSpan(
      allowance,
      busyCalls.length,
      incidentArrivals.filter((t) => t < (busyCalls[0] ?? 0)),
      busyCalls[0] ?? 0,
    );
    const busiestMinute = maxInWindow(incidentArrivals, allowance[0]?.windowMs ?? 60_000);
    // The sandbox counts each incident method apart (defender-api.md §1.3 documents 50 a minute overall as well).
    if (busiestMinute > (allowance[0]?.limit ?? 50))
      problems.push(`${busiestMinute} incident calls in one minute window: over the tenant's allowance`);
    if (busyCalls.length < 2 * (allowance[0]?.limit ?? 50))
      problems.push(
        `the quota was not the bottleneck: ${busyCalls.length} incident calls while deliveries waited in the queue`,
      );
    const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
    // Incident calls per tenth of the minute window, and the queue backlog, for reading a run's log.
    const tick = (allowance[0]?.windowMs ?? 60_000) / 10;
    const origin = incidentArrivals[0] ?? t0;
    const perTick: number[] = [];
    for (const t of incidentArrivals) {
      const i = Math.floor((t - origin) / tick);
      perTick[i] = (perTick[i] ?? 0) + 1;
    }
    log(
      `incident calls per ${tick} ms: ${Array.from(perTick, (n) => n ?? 0).join(' ')}; busy ${busyFrom - origin}..${busyTo - origin} ms; ` +
        `backlog ${backlog
          .filter((_, i) => i % 4 === 0)
          .map((s) => s.length)
          .join(' ')}`,
    );
    return {
      options: { ...options, log: undefined } as Omit<ScaleOutOptions, 'log'>,
      problems,
      deliveries: {
        sent: plan.length,
        duplicates: plan.filter((p) => p.of !== undefined).length,
        accepted: accepted.length,
        refusedForGood: refused.length,
        retriedSends,
      },
      logicApps: {
        calls: laTokens.length,
        succeeded: laTokens.filter((l) => l.status === 200).length,
        retries: laRetries,
        statuses: laStatuses,
      },
      api: { calls: all.length, throttled, byFamily },
      throttledPct: all.length > 0 ? round((throttled / all.length) * 100, 2) : 0,
      incidentCalls: busyCalls.length,
      busyMs,
      idealMs,
      utilisation: busyMs > 0 ? round(idealMs / busyMs) : 0,
      busiestMinute,
      storageCallsPerApiCall: permits > 0 ? round(storageCalls / permits) : 0,
      quotaStats,
      quotaEvents: hosts.flatMap((h) => h.lines.filter((l) => l.includes('[quota]')).map((l) => `${h.pid} ${l}`)),
      kill: killInfo,
      catchUpTicks,
      windows,
      durationMs: Date.now() - started,
    };
  } finally {
    clearInterval(progress);
    clearInterval(sampler);
    clearInterval(lag);
    await fleet.close();
  }
}
