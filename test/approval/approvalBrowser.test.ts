// The approval page in a real browser (Debian's Chromium, headless, driven by playwright-core): the link from the
// Teams card opens a page that shows what will happen (action, user, incident, who asked, expiry), loads nothing but
// itself, and breaks no rule of its own Content-Security-Policy; typing a name and clicking Approve records the
// decision once, the parked run resumes from the queue and the account is disabled in the sandbox.
// Skipped, saying why, only when Chromium is not installed outside CI; in CI (CI or RIPOSTE_REQUIRE_BROWSER set,
// .ci/run installs it) a missing browser fails the test.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { users } from '../../sandbox/seed/entities';
import type { RunReport } from '../../shared/engine';
import { startHarness, type Harness } from '../e2e/harness';
import { approvalContent, approvalLinks, setUpTeams } from './approvalContent';

const CHROMIUM = '/usr/bin/chromium';
const required = process.env.CI !== undefined || process.env.RIPOSTE_REQUIRE_BROWSER === '1';
const present = existsSync(CHROMIUM);
const skip = !present && !required ? `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)` : false;

describe('approval page in headless Chromium', { skip }, () => {
  let h: Harness;
  let browser: BrowserContext;
  let content: ReturnType<typeof approvalContent>;
  let profile: string;

  before(async () => {
    assert.ok(present, `Chromium is required here (CI) and missing at ${CHROMIUM}`);
    content = approvalContent();
    h = await startHarness({ settings: { CONTENT_DIR: content.dir } });
    setUpTeams(h.sandbox);
    profile = mkdtempSync(join(tmpdir(), 'riposte-chromium-'));
    // A fresh profile per run (playwright takes it as the persistent context's user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await h?.close();
    content?.remove();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('shows the details, Approve resumes the run, and the account is disabled', async () => {
    const amy = users[0];
    const start = await h.call('POST', '/api/workflows/contain-user/run', {
      body: { input: { user: amy.upn, incidentId: '3309' } },
    });
    assert.equal(start.status, 202, start.text);
    const location = start.headers.get('location') ?? '';
    const link = new URL(approvalLinks(h.sandbox).at(-1) ?? '', h.host.url).toString();

    const page = await browser.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    const opened = await page.goto(link);
    assert.equal(opened?.status(), 200);
    assert.equal(await page.locator('#action').textContent(), 'disable the user account');
    assert.equal(await page.locator('#target').textContent(), `user ${amy.upn}`);
    assert.equal(await page.locator('#incident').textContent(), '3309');
    assert.match(
      (await page.locator('#requested-by').textContent()) ?? '',
      /^http run [0-9a-f-]{36} of workflow contain-user$/,
    );
    assert.ok(Date.parse((await page.locator('#expires').textContent()) ?? '') > Date.now());
    assert.equal(h.sandbox.control.user(amy.objectId)?.accountEnabled, true, 'opening the page decided nothing');
    assert.equal((await fetch(location)).status, 202);

    await page.fill('input[name=approver]', 'Ana Analyst');
    await Promise.all([page.waitForURL(/\/decision$/), page.click('#approve')]);
    assert.equal(await page.locator('#state').textContent(), 'approved');
    const origin = new URL(h.host.url).origin;
    assert.deepEqual(
      requested.filter((u) => new URL(u).origin !== origin),
      [],
      'the page loads nothing from anywhere else',
    );
    assert.deepEqual(problems, [], 'no Content-Security-Policy violation or script error');

    let report: RunReport | undefined;
    for (let i = 0; i < 300 && !report; i++) {
      const r = await fetch(location);
      if (r.status !== 202) report = (await r.json()) as RunReport;
      else await new Promise((res) => setTimeout(res, 200));
    }
    assert.equal(report?.status, 'succeeded', JSON.stringify(report));
    assert.equal(report?.approvals?.[0]?.decidedBy, 'Ana Analyst (approval link)');
    assert.equal(h.sandbox.control.user(amy.objectId)?.accountEnabled, false, 'approved: the account is disabled');

    // The same link again, in the browser: the decision, no form.
    await page.goto(link);
    assert.equal(await page.locator('#state').textContent(), 'approved');
    assert.equal(await page.locator('#approve').count(), 0);
    await page.close();
  });
});
