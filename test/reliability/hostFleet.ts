// App hosts as child processes over one sandbox and one Azurite, as the lease, crash and scale-out tests run them:
// the backends, a scratch folder, the webhook secrets and every host started, torn down together.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { SandboxControl, SandboxOptions, StoredIncident } from '../../sandbox/index';
import { isRiposteComment } from '../../shared/steps';
import {
  newWebhookSecrets,
  Scratch,
  startBackends,
  startHostProcess,
  type Backends,
  type HostProcess,
  type HostProcessOptions,
} from './harness';

export class HostFleet {
  readonly scratch = new Scratch();
  readonly secrets = newWebhookSecrets();
  /** Every host started, killed or not, in order. */
  readonly hosts: HostProcess[] = [];
  private backends: Backends | undefined;

  async open(options: SandboxOptions = {}): Promise<Backends> {
    this.backends = await startBackends(options);
    return this.backends;
  }

  get b(): Backends {
    if (!this.backends) throw new Error('the fleet’s backends are not started');
    return this.backends;
  }

  async start(o: HostProcessOptions): Promise<HostProcess> {
    const h = await startHostProcess(o);
    this.hosts.push(h);
    return h;
  }

  /** SIGKILLs every host, then stops the sandbox and Azurite and removes the scratch folder. */
  async close(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.kill()));
    await Promise.all([this.backends?.sandbox.close(), this.backends?.azurite.stop()]);
    this.scratch.cleanup();
  }
}

/** A fleet for one test file: its backends start before the file's tests, and everything goes after them. */
export function hostFleetForFile(): HostFleet {
  const fleet = new HostFleet();
  before(() => fleet.open());
  after(() => fleet.close());
  return fleet;
}

/** Content whose suspicious-powershell sweep reaches back far enough for the seed's PowerShell (18-20 h ago). */
export function widenedSweepContent(scratch: Scratch): string {
  return scratch.content({
    edit: {
      'suspicious-powershell.yaml': (t) =>
        t.replace('initialLookback: PT1H', 'initialLookback: P2D').replace('maxWindow: P1D', 'maxWindow: P3D'),
    },
  });
}

/** Adds `count` active incidents last updated a month ago (what stale-incident-triage picks); their ids. */
export function addStaleIncidents(control: SandboxControl, count: number): string[] {
  const month = new Date(Date.now() - 30 * 86_400_000).toISOString();
  return Array.from({ length: count }, () =>
    String(control.addIncident({ status: 'active', createdDateTime: month, lastUpdateDateTime: month }).id),
  );
}

/** Exactly once: one stale tag and one triage comment on each incident. */
export function assertTriagedOnce(control: SandboxControl, ids: string[]): void {
  for (const id of ids) {
    const inc = control.incident(id) as StoredIncident;
    assert.equal(inc.customTags.filter((t) => t === 'stale').length, 1, `incident ${id} tagged once`);
    const notes = inc.comments.filter((c) => isRiposteComment(c.comment) && c.comment.startsWith('No update since'));
    assert.equal(notes.length, 1, `incident ${id}: one triage comment`);
  }
}

/** Exactly once: one `tag` tag and one hunt comment on each incident. */
export function assertHuntedOnce(incidents: StoredIncident[], tag: string): void {
  for (const inc of incidents) {
    assert.equal(inc.customTags.filter((t) => t === tag).length, 1, `incident ${inc.id} tagged once`);
    const found = inc.comments.filter((c) => isRiposteComment(c.comment) && c.comment.startsWith('Hunt '));
    assert.equal(found.length, 1, `incident ${inc.id}: one hunt comment`);
  }
}

/** The open incidents the suspicious-powershell sweep tags: those whose alerts carry device evidence of the hosts its
 * query finds (as test/engine/e2e.test.ts matches them). */
export function sweepTargets(control: SandboxControl): string[] {
  return control
    .incidents()
    .filter((i) => ['active', 'inProgress'].includes(i.status))
    .filter((i) =>
      i.alerts.some((a) =>
        a.evidence.some((e) => e.kind === 'device' && /^ws-(fin-042|hr-007)\b/i.test(e.deviceDnsName)),
      ),
    )
    .map((i) => String(i.id));
}
