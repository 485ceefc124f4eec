import { measureWarmStep } from '../warmStep';
import { measureControlPlane } from '../controlPlane';
import { measureRateLimit } from '../rateLimit';
(async () => {
  const t0 = performance.now(); const w = console.warn; console.warn = (...a: unknown[]) => w(`[${(performance.now() - t0).toFixed(0)}ms]`, ...a);
  const which = process.argv[2];
  const r = which === 'cp' ? await measureControlPlane() : which === 'rl' ? await measureRateLimit() : await measureWarmStep();
  console.log(JSON.stringify(r, null, 1));
})();
