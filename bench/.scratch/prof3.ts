import { startStack, fetchGraphToken, rawGraphClient, incidentIds } from '../stack';
import { median } from '../stats';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { updateIncident } from '../../functions/updateIncident';
(async () => {
  const s = await startStack({ azurite: false });
  const ids = incidentIds(s.sandbox);
  const raw = rawGraphClient(s.sandbox, await fetchGraphToken(s.sandbox));
  const time = async (name: string, fn: (i: number) => Promise<unknown>, n = 300) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) { const t = performance.now(); await fn(i); xs.push(performance.now() - t); }
    console.log(name.padEnd(20), median(xs).toFixed(3));
  };
  const direct = async (i: number) => {
    const req = new HttpRequest({ method: 'PATCH', url: `http://x/api/incidents/${ids[i % ids.length]}`, params: { id: ids[i % ids.length]! }, headers: { 'content-type': 'application/json' }, body: { string: JSON.stringify({ assignedTo: `d${i}@x.com` }) } });
    const res = await updateIncident(req, new InvocationContext({ functionName: 'updateIncident' }));
    if (res.status !== 200) throw new Error(String(res.status));
  };
  for (let r = 0; r < 2; r++) {
    await time('raw', (i) => raw.patch(`/security/incidents/${ids[i % ids.length]}`, { assignedTo: `a${i}@x.com` }));
    await time('health via host', () => s.hostClient.get('/api/health'));
    await time('getIncident host', (i) => s.hostClient.get(`/api/incidents/${ids[i % ids.length]}`));
    await time('raw GET', (i) => raw.get(`/security/incidents/${ids[i % ids.length]}`));
    await time('handler direct', direct);
    await time('PATCH via host', (i) => s.hostClient.patch(`/api/incidents/${ids[i % ids.length]}`, { assignedTo: `h${i}@x.com` }));
  }
  await s.close();
})();
