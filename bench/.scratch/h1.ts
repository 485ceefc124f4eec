import https from 'node:https';
import axios from 'axios';
import { startSandbox } from '../../sandbox';
import { generateLargeTable } from '../../sandbox/kql';
import { fetchGraphToken } from '../stack';
(async () => {
  const sb = await startSandbox({ rateLimits: false });
  let t = performance.now();
  sb.control.setHuntingTables(new Map([['DeviceProcessEvents', generateLargeTable('DeviceProcessEvents', 100000, new Date())]]));
  console.log('gen', performance.now() - t);
  const token = await fetchGraphToken(sb);
  const agent = new https.Agent({ keepAlive: true, ca: sb.caPem });
  for (let i = 0; i < 2; i++) {
    t = performance.now();
    const res = await axios.post(`${sb.graphBaseUrl}/security/runHuntingQuery`, { Query: 'DeviceProcessEvents | take 100000', Timespan: 'P30D' }, { httpsAgent: agent, headers: { Authorization: `Bearer ${token}` }, responseType: 'text' });
    const f = performance.now() - t;
    const t2 = performance.now(); const j = JSON.parse(res.data as string); const p = performance.now() - t2;
    console.log('fetch', f.toFixed(0), 'parse', p.toFixed(0), 'bytes', (res.data as string).length, 'rows', j.results.length, Object.keys(j));
  }
  await sb.close();
})();
