import https from 'node:https';
import axios from 'axios';
import { startSandbox } from '../../sandbox';
import { generateLargeTable } from '../../sandbox/kql';
import { fetchGraphToken } from '../stack';
(async () => {
  const sb = await startSandbox({ rateLimits: false });
  sb.control.setHuntingTables(new Map([['DeviceProcessEvents', generateLargeTable('DeviceProcessEvents', 100000, new Date())]]));
  const token = await fetchGraphToken(sb);
  const Query = 'DeviceProcessEvents | take 100000 | project Timestamp, DeviceId, DeviceName, AccountDomain, AccountName, FileName, ProcessCommandLine, ProcessId, InitiatingProcessFileName, InitiatingProcessCommandLine, SHA1, ReportId';
  for (let i = 0; i < 2; i++) {
    const agent = new https.Agent({ ca: sb.caPem });
    const t = performance.now();
    let first = 0;
    try {
      const res = await axios.post(`${sb.graphBaseUrl}/security/runHuntingQuery`, { Query, Timespan: 'P30D' }, { httpsAgent: agent, headers: { Authorization: `Bearer ${token}` }, responseType: 'arraybuffer', onDownloadProgress: () => { if (!first) first = performance.now() - t; } });
      const f = performance.now() - t;
      const t2 = performance.now(); const j = JSON.parse((res.data as Buffer).toString('utf8')); const p = performance.now() - t2;
      console.log('firstByte', first.toFixed(0), 'fetch', f.toFixed(0), 'parse', p.toFixed(0), 'bytes', (res.data as Buffer).length, 'rows', j.results.length);
    } catch (e) { console.log('error', (e as Error).message); }
  }
  await sb.close();
})();
