import { startStack, fetchGraphToken, rawGraphClient, incidentIds } from '../stack';
import { getDeps } from '../../shared/deps';
(async () => {
  const s = await startStack({ azurite: false });
  const ids = incidentIds(s.sandbox);
  const deps = getDeps();
  const t0 = performance.now();
  const origWarn = console.warn;
  console.warn = (...a: unknown[]) => origWarn(`[${(performance.now() - t0).toFixed(0)}ms]`, ...a);
  for (let round = 0; round < 4; round++) {
    const ts = performance.now() - t0;
    await Promise.all(Array.from({ length: 16 }, (_, k) => deps.defender.updateIncident(ids[k % ids.length]!, { assignedTo: `k${round}${k}@x.com` })));
    console.log('round', round, 'at', ts.toFixed(0));
    await new Promise((r) => setTimeout(r, round % 2 ? 5000 : 6000));
  }
  await s.close();
})();
