import { startStack, fetchGraphToken, rawGraphClient, incidentIds } from '../stack';
import { getDeps } from '../../shared/deps';
import { median } from '../stats';
(async () => {
  const s = await startStack({ azurite: false });
  const deps = getDeps();
  const ids = incidentIds(s.sandbox);
  const raw = rawGraphClient(s.sandbox, await fetchGraphToken(s.sandbox));
  await deps.tokens.getToken();
  const fns: Record<string, (i: number) => Promise<unknown>> = {
    raw: (i) => raw.patch(`/security/incidents/${ids[i % ids.length]}`, { assignedTo: `a${i}@x.com` }),
    httpReq: (i) => deps.http.request({ method: 'PATCH', path: `/security/incidents/${ids[i % ids.length]}`, data: { assignedTo: `b${i}@x.com` }, family: 'incidents' }),
    client: (i) => deps.defender.updateIncident(ids[i % ids.length]!, { assignedTo: `c${i}@x.com` }),
    getToken: () => deps.tokens.getToken(),
  };
  const xs: Record<string, number[]> = {}; for (const k in fns) xs[k] = [];
  for (let i = 0; i < 1500; i++) for (const k of Object.keys(fns).sort(() => Math.random() - 0.5)) { const t = performance.now(); await fns[k]!(i); if (i > 100) xs[k]!.push(performance.now() - t); }
  for (const k in xs) console.log(k.padEnd(10), median(xs[k]!).toFixed(3));
  await s.close();
})();
