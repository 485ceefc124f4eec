// The KQL a workflow carries: workflows hold no inline KQL (a hunt step names a library query, by a literal name
// checked at load, and gives its parameters), so what a workflow runs is each hunt step's library query bound with
// the step's values. This finds those steps, at any depth (forEach, if).
import { isLiteral, literalValue, type CompiledValue } from '../../shared/workflows/expressions';
import type { Step, Workflow } from '../../shared/workflows/types';

export interface HuntStepUse {
  workflow: Workflow;
  /** "steps[0] (hunt)", as the loader names steps in its messages. */
  path: string;
  query: string;
  /** The step's literal parameter values; a parameter given by a template is left out (its example stands in). */
  values: Record<string, unknown>;
}

const entries = (v: CompiledValue | undefined): [string, CompiledValue][] => (v?.kind === 'object' ? v.entries : []);

function collect(workflow: Workflow, steps: readonly Step[], out: HuntStepUse[]): void {
  for (const step of steps) {
    if (step.kind === 'forEach') collect(workflow, step.steps, out);
    else if (step.kind === 'if') {
      collect(workflow, step.then, out);
      collect(workflow, step.else, out);
    } else if (step.kind === 'hunt') {
      const fields = new Map(entries(step.input));
      const query = fields.get('query');
      if (!query || !isLiteral(query) || typeof literalValue(query) !== 'string') continue;
      const values: Record<string, unknown> = {};
      for (const [name, value] of entries(fields.get('params'))) {
        if (isLiteral(value)) values[name] = literalValue(value);
      }
      out.push({ workflow, path: step.path, query: literalValue(query) as string, values });
    }
  }
}

/** Every hunt step of the workflows, in file and step order. */
export function huntSteps(workflows: Iterable<Workflow>): HuntStepUse[] {
  const out: HuntStepUse[] = [];
  for (const w of workflows) collect(w, w.steps, out);
  return out;
}
