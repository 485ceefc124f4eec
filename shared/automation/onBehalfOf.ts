// A workflow run on behalf of the caller: the same automation, with the engine's API clients swapped for the caller's
// (on-behalf-of tokens) and the acting user named in the report and comments. The approval gate is left out: a run
// parked for approval would be finished later by the background, which cannot act as the user, so a destructive
// step that asks for approval fails with its configuration error instead of running as the app.
import type { ActingUser } from '../auth/bearerToken';
import type { AppDeps } from '../deps';
import type { Automation } from './index';

export function automationOnBehalfOf(
  automation: Automation,
  userDeps: Pick<AppDeps, 'defender' | 'apis'>,
  user: ActingUser,
): Automation {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { approvals, ...engine } = automation.engine;
  return {
    ...automation,
    engine: {
      ...engine,
      defender: userDeps.defender,
      apis: userDeps.apis,
      actingUser: { upn: user.upn, oid: user.oid },
    },
  };
}
