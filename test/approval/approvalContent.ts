// Content and helpers for the approval tests: a folder with the shipped queries, mappings and workflows plus two containment
// workflows (revoke sessions, then disable the account with approval by Teams: one expiring in ten minutes, one in
// three seconds), the Teams Workflows webhook in the sandbox's Key Vault, and reading the approval link off the card
// the sandbox's webhook received.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox } from '../../sandbox';
import { registerSecrets } from '../setup/logCapture';

const REPO = join(__dirname, '..', '..');

export const TEAMS_SECRET = 'approval-teams-webhook';
export const CALLBACK_SECRET = 'approval-callback-url';

const workflow = (name: string, expiresIn: string, ask = `teams: ${TEAMS_SECRET}`): string => `name: ${name}
description: Revoke a user's sessions, then disable the account once a person approves.
triggers: { http: true }
input:
  user: { type: string, required: true }
  incidentId: { type: string }
steps:
  - id: revoke
    kind: revokeUserSessions
    input: { user: '\${ $input.user }', incidentId: '\${ $input.incidentId }' }
  - id: disable
    kind: disableUser
    approval: { ${ask}, expiresIn: ${expiresIn} }
    input: { user: '\${ $input.user }', incidentId: '\${ $input.incidentId }' }
`;

export function approvalContent(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-approval-'));
  cpSync(join(REPO, 'queries'), join(dir, 'queries'), { recursive: true });
  cpSync(join(REPO, 'mappings'), join(dir, 'mappings'), { recursive: true });
  // The shipped workflows too: tests that use this folder also run them (test/deploy/openapiResponses.test.ts).
  cpSync(join(REPO, 'workflows'), join(dir, 'workflows'), { recursive: true });
  writeFileSync(join(dir, 'workflows', 'contain-user.yaml'), workflow('contain-user', 'PT10M'));
  writeFileSync(join(dir, 'workflows', 'contain-user-quick.yaml'), workflow('contain-user-quick', 'PT3S'));
  writeFileSync(
    join(dir, 'workflows', 'contain-user-callback.yaml'),
    workflow('contain-user-callback', 'PT10M', `callback: ${CALLBACK_SECRET}`),
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Creates the Teams webhook in the sandbox and keeps its URL in Key Vault where the workflows look. */
export function setUpTeams(sandbox: Sandbox): void {
  const url = sandbox.control.createTeamsWebhook();
  registerSecrets([url]);
  sandbox.control.setSecret(TEAMS_SECRET, url);
}

/** Creates a callback endpoint in the sandbox and keeps its URL in Key Vault where the callback workflow looks. */
export function setUpCallback(sandbox: Sandbox): void {
  const url = sandbox.control.createCallback();
  registerSecrets([url]);
  sandbox.control.setSecret(CALLBACK_SECRET, url);
}

/** The approval links on the cards the sandbox's Teams webhook received, oldest first (registered as secrets). */
export function approvalLinks(sandbox: Sandbox): string[] {
  const links: string[] = [];
  for (const d of sandbox.control.teamsDeliveries()) {
    for (const card of d.cards) {
      const actions = (card.actions ?? []) as { type: string; url: string }[];
      for (const a of actions) {
        assert.equal(a.type, 'Action.OpenUrl', 'webhook cards carry OpenUrl buttons only');
        links.push(a.url);
      }
    }
  }
  registerSecrets(links.map((l) => new URL(l, 'http://x').searchParams.get('token') ?? ''));
  return links;
}
