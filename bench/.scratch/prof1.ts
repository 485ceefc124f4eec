import { startStack, fetchGraphToken, rawGraphClient, incidentIds } from '/work/main/bench/stack';
import { getDeps } from '/work/main/shared/deps';
import { median } from '/work/main/bench/stats';
(async () => {
  const s = await startStack({ azurite: false });
  const deps = getDeps();
  const ids = incidentIds(s.sandbox);
  const raw = rawGraphClient(s.sandbox, await fetchGraphToken(s.sandbox));
  await deps.tokens.getToken();
  const time = async (name: string, fn: (i: number) => Promise<unknown>, n = 300) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) { const t = performance.now(); await fn(i); xs.push(performance.now() - t); }
    console.log(name.padEnd(20), median(xs).toFixed(3));
  };
  for (let r = 0; r < 2; r++) {
  await time('getToken', () => deps.tokens.getToken());
  await time('secrets.get', () => deps.secrets.get());
  await time('limiter', async () => (await deps.limiters.incidents.acquire())());
  await time('raw', (i) => raw.patch(`/security/incidents/${ids[i % ids.length]}`, { assignedTo: `a${i}@x.com` }));
  await time('http.request', (i) => deps.http.request({ method: 'PATCH', path: `/security/incidents/${ids[i % ids.length]}`, data: { assignedTo: `b${i}@x.com` }, family: 'incidents' }));
  await time('defender.update', (i) => deps.defender.updateIncident(ids[i % ids.length]!, { assignedTo: `c${i}@x.com` }));
  }
  await s.close();
})();
