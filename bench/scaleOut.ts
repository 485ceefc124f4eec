// Scale-out figures (issue 13): the scale-out scenario of test/scale/scenario.ts at its CI size (four host
// processes sharing one Azurite and one sandbox that enforces the incident quota, time-scaled so a minute lasts
// 15 s; webhook deliveries, two scheduled workflows and Logic Apps-style calls at once; one host killed midway).
// scaleOutThrottledPct: the API's 429 answers ÷ all its answers, in %. scaleOutUtilisation: a perfect client's time
// for the incident calls made while deliveries waited ÷ the time they took. sharedQuotaStorageCallsPerApiCall:
// the shared quota's reads and writes of its row ÷ the permits it handed out, over the surviving hosts (each host's
// deep health, less its warm-up).
import { runScaleOut, SCALE_OUT_SIZES, type ScaleOutResult } from '../test/scale/scenario';

export type ScaleOutFigures = Omit<ScaleOutResult, 'quotaStats'> & { quotaStats: number };

export async function measureScaleOut(): Promise<ScaleOutFigures> {
  const r = await runScaleOut({ ...SCALE_OUT_SIZES.ci, log: (line) => process.stderr.write(`scaleOut: ${line}\n`) });
  if (r.problems.length > 0) throw new Error(`the scale-out run went wrong: ${r.problems.slice(0, 5).join('; ')}`);
  return { ...r, quotaStats: r.quotaStats.length };
}
