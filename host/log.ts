// One line per event, prefixed with an ISO timestamp like Core Tools' console output.
export type LineLogger = (line: string) => void;

export function stamp(log: LineLogger): (message: string) => void {
  return (message) => log(`[${new Date().toISOString()}] ${message}`);
}

/** Error text for logs: the message and stack, never request data. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
