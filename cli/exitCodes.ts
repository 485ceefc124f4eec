// The CLI's exit codes: one per outcome a script or scheduler must tell apart. 130/143 follow the shell's 128 + signal
// number convention, so `riposte run …; echo $?` reads the same as any interrupted command.
import { constants } from 'node:os';
import type { RunReport } from '../shared/engine';

export const EXIT = {
  /** Succeeded, or a stop step ended the run on purpose. validate: the content is valid. */
  ok: 0,
  /** The run failed (or crashed); validate found problems. */
  failed: 1,
  /** A wrong command, option, file or setting: nothing ran. */
  usage: 2,
  /** The Defender API quota ran out; the report says when to try again. Nothing is half done. */
  throttled: 3,
  /** The run finished, but some steps or items failed and were allowed to continue (onError: continue). */
  partial: 4,
  /** --user: the analyst declined the sign-in at the device login page. */
  signInDeclined: 10,
  /** --user: the sign-in code expired before it was approved (Entra's expired_token, or the local timer). */
  signInExpired: 11,
  /** --user: Entra answered slow_down, which the sign-in library treats as final; retry later. */
  signInSlowDown: 12,
  /** --user: Entra did not recognise the device code (bad_verification_code). */
  signInBadCode: 13,
  /** --user: Entra refused the sign-in otherwise (e.g. AADSTS7000218: the app is not a public client). */
  signInRefused: 14,
  /** --user: the Defender API refused the signed-in analyst (403: no Defender role or permission for the call). */
  userForbidden: 15,
} as const;

/** 128 + the signal's number: 130 for SIGINT (Ctrl-C), 143 for SIGTERM. */
export const exitCodeForSignal = (signal: NodeJS.Signals): number => 128 + (constants.signals[signal] ?? 2);

export const EXIT_CODES_TEXT = `Exit codes:
  0    succeeded (or a stop step ended the run on purpose); validate: no problems
  1    the run failed; validate found problems
  2    usage or settings error: nothing ran
  3    throttled: the Defender API quota ran out (the report says when to retry)
  4    partial: the run finished but some steps or items failed (onError: continue)
  10   --user: the sign-in was declined          11   --user: the sign-in code expired
  12   --user: Entra asked to slow down (retry)  13   --user: the sign-in code was not recognised
  14   --user: Entra refused the sign-in (e.g. the app does not allow public client flows)
  15   --user: the Defender API refused the signed-in analyst (403: their Defender role)
  130  interrupted by Ctrl-C (143 for SIGTERM): the report lists what was done and the writes left pending`;

/** @returns the exit code for a run report; `signal` is the one that interrupted it, if any. */
export function exitCodeForRun(report: RunReport, signal?: NodeJS.Signals): number {
  switch (report.status) {
    case 'interrupted':
      return exitCodeForSignal(signal ?? 'SIGINT');
    case 'throttled':
      return EXIT.throttled;
    case 'failed':
      return EXIT.failed;
    default:
      return report.steps.some((s) => s.status === 'failed') ? EXIT.partial : EXIT.ok;
  }
}
