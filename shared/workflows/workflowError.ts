// One error for a workflow file (or a folder of them) that does not validate: every problem, one line each, as
// "<file>: <where>: <what>", e.g. "workflows/x.yaml: steps[2] (tagIncidents).input.tags.add: must not be empty".
import { AppError } from '../errors';

export class WorkflowError extends AppError {
  /** Complete lines, file name included. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `Invalid workflow:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}
