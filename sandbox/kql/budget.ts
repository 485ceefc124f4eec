// Limits on one query's work, so no input makes the sandbox hang or exhaust memory: a cap on the rows all operators
// produce together and a wall-clock deadline. Exceeding either ends the query with a 400, as Defender ends queries
// over its own limits (advanced-hunting-limits.md: "Query exceeded the allowed limits").
import { KqlError } from './types';

export const DEFAULT_ROW_BUDGET = 5_000_000;
export const DEFAULT_TIME_BUDGET_MS = 20_000;

export class Budget {
  private produced = 0;
  private readonly deadline: number;

  constructor(
    private readonly maxRows = DEFAULT_ROW_BUDGET,
    timeMs = DEFAULT_TIME_BUDGET_MS,
  ) {
    this.deadline = Date.now() + timeMs;
  }

  /** Counts `n` rows produced by an operator (or items built by a function) and checks the clock. */
  spend(n: number, pos?: number): void {
    this.produced += n;
    if (this.produced > this.maxRows) {
      throw new KqlError(
        'unsupported',
        `The query exceeded the sandbox's limits (more than ${this.maxRows} rows produced by its operators)`,
        pos,
      );
    }
    this.checkTime(pos);
  }

  checkTime(pos?: number): void {
    if (Date.now() > this.deadline)
      throw new KqlError('unsupported', "The query exceeded the sandbox's limits (it ran too long)", pos);
  }
}
