// A terminal's Ctrl-C goes to every process of the foreground job. Azurite started for `riposte run` in sandbox mode
// must not get it: the run is still finishing its writes and listing what it left pending when the signal lands.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { startAzurite, type Azurite } from '../../host/azurite';

/** The process group id, field 5 of /proc/<pid>/stat (after the parenthesised command name). */
function processGroupOf(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

const started: Azurite[] = [];
after(async () => {
  await Promise.all(started.map((a) => a.stop()));
});

describe('startAzurite ownProcessGroup', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  it('runs Azurite outside the caller’s process group only when asked', async () => {
    const [own, shared] = await Promise.all([
      startAzurite({ inMemory: true, ports: 'random', ownProcessGroup: true }),
      startAzurite({ inMemory: true, ports: 'random' }),
    ]);
    started.push(own, shared);
    const mine = processGroupOf('self');
    assert.equal(processGroupOf(own.pid as number), own.pid, 'leads its own group');
    assert.notEqual(processGroupOf(own.pid as number), mine);
    assert.equal(processGroupOf(shared.pid as number), mine);
  });
});
