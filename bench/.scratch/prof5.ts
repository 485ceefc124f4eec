import { startAzurite } from '../../host/azurite';
import { createTableStateStore } from '../../shared/state/tableState';
import { median } from '../stats';
(async () => {
  const az = await startAzurite({ inMemory: true, ports: 'random' });
  const st = createTableStateStore(az.connectionString);
  const time = async (name: string, fn: (i: number) => Promise<unknown>, n = 50) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) { const t = performance.now(); await fn(i); xs.push(performance.now() - t); }
    console.log(name.padEnd(30), median(xs).toFixed(3));
  };
  let k = 0;
  const rec = (i: number) => ({ key: `wf/d/${i}/apply/1`, state: 'done' as const, owner: 'x', runId: 'r', incidentId: '1', leaseUntil: new Date().toISOString(), updatedAt: new Date().toISOString() });
  for (const total of [0, 200, 1000, 3000]) {
    while (k < total) { await st.createWrite('wf', rec(k)); k++; }
    await time(`listPending @${total}`, () => st.listPendingWrites('wf'), 20);
    await time(`getWrite @${total}`, (i) => st.getWrite('wf', `wf/d/${i}/apply/1`), 20);
    await time(`createWrite @${total}`, (i) => st.createWrite('wf2', rec(100000 + total + i)), 20);
  }
  await az.stop();
})();
