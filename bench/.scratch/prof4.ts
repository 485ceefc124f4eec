import { HttpRequest } from '@azure/functions';
import { readJsonObject } from '../../functions/lib/httpBody';
import { validateUpdate } from '../../shared/defender/validateUpdate';
import { median } from '../stats';
(async () => {
  const time = async (name: string, fn: (i: number) => unknown, n = 3000) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) { const t = performance.now(); await fn(i); xs.push(performance.now() - t); }
    console.log(name.padEnd(20), (median(xs)*1000).toFixed(1), 'us');
  };
  const mk = (i: number) => new HttpRequest({ method: 'PATCH', url: `http://x/api/incidents/1`, params: { id: '1' }, headers: { 'content-type': 'application/json' }, body: { string: JSON.stringify({ assignedTo: `d${i}@x.com` }) } });
  for (let r = 0; r < 2; r++) {
    await time('new HttpRequest', mk);
    await time('readJsonObject', (i) => readJsonObject(mk(i)));
    await time('req.json()', (i) => mk(i).json());
    await time('validateUpdate', (i) => validateUpdate({ assignedTo: `d${i}@x.com` }, 'graph'));
  }
})();
