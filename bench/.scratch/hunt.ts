import { measureHunt100k } from '../hunt100k';
measureHunt100k({ runs: 2 }).then((r) => console.log(JSON.stringify(r, null, 1))).catch((e) => { console.error((e as Error).message); process.exit(1); });
