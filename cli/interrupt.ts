// Ctrl-C (SIGINT) and SIGTERM during `riposte run`: the first one stops the run gently (no new step, item, write or
// request; calls in flight finish; the partial report is printed; exit 130/143); a second one exits at once after
// saying what may be left pending.
import { exitCodeForSignal } from './exitCodes';

/** The abort reason the run sees: its message ends up in the report's error. */
export class InterruptError extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}${signal === 'SIGINT' ? ' (Ctrl-C)' : ''}: nothing new was started after it`);
    this.name = 'InterruptError';
  }
}

export interface Interrupts {
  signal: AbortSignal;
  /** The signal that stopped the run, if one did. */
  readonly received: NodeJS.Signals | undefined;
  /** Stops listening (the command is over). */
  dispose(): void;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * @param say where to tell the person what is happening (stderr)
 * @param workflow named in the "run it again" advice
 * @param exit ends the process at once (process.exit; replaceable in tests)
 */
export function listenForInterrupts(
  say: (line: string) => void,
  workflow: string,
  exit: (code: number) => void = (code) => process.exit(code),
): Interrupts {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const on = (signal: NodeJS.Signals): void => {
    if (received === undefined) {
      received = signal;
      say(
        `\n${signal}: stopping. No new step, item or write starts; requests already sent finish, then the report is printed. ${signal === 'SIGINT' ? 'Press Ctrl-C again' : 'Send it again'} to exit at once.`,
      );
      controller.abort(new InterruptError(signal));
      return;
    }
    say(
      `\n${signal} again: exiting now, without a report. Writes this run had claimed may be left pending in storage; the next \`riposte run ${workflow}\` finishes them (at once when it resumes this run's window, otherwise once their 10-minute lease ends).`,
    );
    exit(exitCodeForSignal(received));
  };
  for (const s of SIGNALS) process.on(s, on);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose: () => {
      for (const s of SIGNALS) process.off(s, on);
    },
  };
}
