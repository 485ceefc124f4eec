// Timers on the local host: seconds schedules, %Setting% schedules, runOnStartup, singleton runs, isPastDue, retry.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalHost, type LocalHost } from '../../host/localHost';
import { eventsOf, gauges, sleep } from '../fixtures/hostApp/lib/recorder';

const fixture = join(__dirname, '..', 'fixtures', 'hostApp');
const lines: string[] = [];
let host: LocalHost;
let startedAt = 0;

before(async () => {
  startedAt = Date.now();
  host = await startLocalHost({
    entry: [join(fixture, 'timerFunctions.ts')],
    port: 0,
    hostJsonPath: join(fixture, 'host.json'),
    settings: { TICK_SCHEDULE: '*/1 * * * * *' },
    logger: (l) => lines.push(l),
  });
});

after(async () => {
  await host.close();
});

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(20);
}

describe('local host: timers', () => {
  it('runs runOnStartup timers once at start, not past due', async () => {
    await waitFor(() => eventsOf('startup').length > 0);
    const startup = eventsOf('startup');
    assert.equal(startup.length, 1);
    assert.equal(startup[0]!.data.isPastDue, false);
    assert.deepEqual(startup[0]!.data.schedule, { adjustForDST: true }); // host JSON camel-cased by the library
  });

  it('fires a %Setting% seconds schedule every second, singleton runs, and retries per the retry policy', async () => {
    // Retries (fixedDelay 1 s, 2 retries) run while the schedules tick.
    const flaky = host.invokeTimer('flaky');
    await sleep(3300);
    await flaky;

    const ticks = eventsOf('tick').filter((e) => e.at >= startedAt);
    assert.ok(ticks.length >= 2 && ticks.length <= 5, `tick fired ${ticks.length} times in ~3.3 s`);
    // ScheduleStatus.Next is the occurrence being run (the host hands over the status the last run left).
    const dues = ticks.map((t) => Date.parse(String(t.data.next)));
    ticks.forEach((t, i) => assert.ok(t.at >= dues[i]!, `tick ran at ${t.at}, before its occurrence ${dues[i]}`));
    for (let i = 1; i < dues.length; i++) assert.equal(dues[i]! - dues[i - 1]!, 1000, 'one run per second');
    assert.ok(ticks.every((t) => t.data.isPastDue === false));

    // slowTick runs 1.2 s on a 1 s schedule: never two at once, and the occurrence missed meanwhile runs late.
    const slow = eventsOf('slowTick');
    assert.ok(slow.length >= 2, `slowTick ran ${slow.length} times`);
    assert.equal(gauges.slowMaxConcurrent, 1);
    assert.equal(slow[0]!.data.isPastDue, false);
    assert.ok(
      slow.slice(1).some((e) => e.data.isPastDue === true),
      'a catch-up run is past due',
    );

    assert.deepEqual(
      eventsOf('flaky').map((e) => e.data.retryCount),
      [0, 1, 2],
    );
    const flakyTimes = eventsOf('flaky').map((e) => e.at);
    assert.ok(flakyTimes[2]! - flakyTimes[0]! >= 1900, 'two 1 s retry delays');
    assert.ok(lines.some((l) => l.includes('Functions.flaky: retry 1 of 2 in 1000ms')));
  });

  it('marks a firing past due when the process was stalled past its occurrence', async () => {
    const before = eventsOf('tick').length;
    const until = Date.now() + 2200;
    while (Date.now() < until) {
      // Block the event loop, as a suspended process would.
    }
    await sleep(300);
    const late = eventsOf('tick').slice(before);
    assert.ok(late.length >= 1);
    assert.equal(late[0]!.data.isPastDue, true);
  });

  it('invokes a timer on demand with the requested isPastDue', async () => {
    const before = eventsOf('tick').length;
    await host.invokeTimer('tick', { isPastDue: true });
    const mine = eventsOf('tick').slice(before);
    assert.ok(mine.some((e) => e.data.isPastDue === true));
    await assert.rejects(host.invokeTimer('nope'), /No timer function named "nope"/);
  });
});
