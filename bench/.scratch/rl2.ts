import { measureRateLimit } from '../rateLimit';
(async () => {
  const t0 = performance.now(); const w = console.warn; console.warn = (...a: unknown[]) => w(`[${(performance.now() - t0).toFixed(0)}ms]`, ...a);
  for (const scale of [0.075, 0.075, 0.1, 0.1]) {
    const r = await measureRateLimit({ scale });
    console.log(scale, r.utilisation, r.elapsedMs, r.throttled, r.failed);
  }
})();
