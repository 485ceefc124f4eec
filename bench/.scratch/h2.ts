import { startSandbox } from '../../sandbox';
import { generateLargeTable } from '../../sandbox/kql';
import { runHunting } from '../../sandbox/hunting';
(async () => {
  const now = new Date();
  let t = performance.now();
  const tables = new Map([['DeviceProcessEvents', generateLargeTable('DeviceProcessEvents', 100000, now)]]);
  console.log('gen', (performance.now() - t).toFixed(0));
  for (const q of ['DeviceProcessEvents | take 100000', 'DeviceProcessEvents | take 100000 | project Timestamp, DeviceId, DeviceName, AccountDomain, AccountName, FileName, ProcessCommandLine, ProcessId, InitiatingProcessFileName, InitiatingProcessCommandLine, SHA1, ReportId']) {
    t = performance.now();
    const r = runHunting(q, tables, now, { start: new Date(now.getTime() - 30 * 86400000), end: now });
    const k = performance.now() - t;
    if (!r.ok) { console.log(r); continue; }
    t = performance.now();
    const s = JSON.stringify({ schema: r.schema, results: r.rows });
    console.log('kql', k.toFixed(0), 'stringify', (performance.now() - t).toFixed(0), 'bytes', s.length, 'rows', r.rows.length, 'cols', r.schema.length);
  }
})();
