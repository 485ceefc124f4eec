// Runs one figure in this process and prints its result as the last stdout line. bench/run.ts starts one process
// per figure: the app's composition roots are memoised per process (getDeps, getAutomation), so each figure needs
// its own, with its own settings, and one figure's memory does not weigh on the next.
import { measureColdStart } from './coldStart';
import { measureControlPlane } from './controlPlane';
import { measureHunt100k } from './hunt100k';
import { measureRateLimit } from './rateLimit';
import { measureScaleOut } from './scaleOut';
import { measureWarmStep } from './warmStep';
import { measureWebhookAccept } from './webhookAccept';
import { measureWorkflowStep } from './workflowStep';

export const FIGURES = {
  warmStep: () => measureWarmStep(),
  controlPlane: () => measureControlPlane(),
  rateLimit: () => measureRateLimit(),
  coldStart: () => measureColdStart(),
  hunt100k: () => measureHunt100k(),
  webhookAccept: () => measureWebhookAccept(),
  workflowStep: () => measureWorkflowStep(),
  scaleOut: () => measureScaleOut(),
} satisfies Record<string, () => Promise<unknown>>;

export type FigureName = keyof typeof FIGURES;

if (require.main === module) {
  const name = process.argv[2] as FigureName;
  const run = FIGURES[name];
  if (!run) {
    process.stderr.write(`unknown figure '${name}'; one of: ${Object.keys(FIGURES).join(', ')}\n`);
    process.exit(2);
  }
  // Riposte's own console logger would interleave retries and warnings with the result line.
  console.info = () => undefined;
  run()
    .then((r) => {
      process.stdout.write(`\n${JSON.stringify(r)}\n`);
      process.exit(0);
    })
    .catch((e: unknown) => {
      process.stderr.write(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    });
}
