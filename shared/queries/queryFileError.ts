// The error a broken `.kql` file raises: every problem found, each naming the file and the line or header field, so
// a security team reviewing a pull request (or the CI log) can fix them all in one pass.
import { AppError } from '../errors';

export interface QueryFileProblem {
  file: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** Header field path, e.g. `params.lookback.default`. */
  field?: string;
  message: string;
}

/** One or more query files are invalid. Code CONFIG_INVALID: query files are configuration the team owns. */
export class QueryFileError extends AppError {
  readonly problems: readonly QueryFileProblem[];
  constructor(problems: readonly QueryFileProblem[]) {
    const lines = problems.map(formatQueryFileProblem);
    super(
      'CONFIG_INVALID',
      lines.length === 1 ? `Invalid query file: ${lines[0]}` : `Invalid query files:\n  - ${lines.join('\n  - ')}`,
    );
    this.problems = problems;
  }
}

/** `queries/x.kql:5: params.lookback.default: must be a timespan ...` */
export function formatQueryFileProblem(p: QueryFileProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return p.field === undefined ? `${where}: ${p.message}` : `${where}: ${p.field}: ${p.message}`;
}
