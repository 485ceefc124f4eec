import { measureColdStart } from '../coldStart';
measureColdStart().then((r) => console.log(JSON.stringify(r, null, 1)));
