// The identity containment steps (issue 14 item 4; response-actions.md §6), each one Graph call on one user:
// - revokeUserSessions: POST /users/{id}/revokeSignInSessions (each call re-stamps signInSessionsValidFromDateTime,
//   so the write guard keeps it to once per run or delivery);
// - disableUser / enableUser: PATCH /users/{id} {"accountEnabled": false|true} (a value set: read first, sent only
//   when it differs); disableUser is destructive (it waits for approval unless the step says `approval: none`);
// - confirmUserCompromised / confirmUserSafe: POST /identityProtection/riskyUsers/{action} {"userIds": [id]}
//   (object ids only: a UPN is resolved first).
import { identityRequests } from '../defender/identityClient';
import { identityStep } from './identityCommon';

export const revokeUserSessions = identityStep({
  intent: 'revokeUserSessions',
  request: (u) => identityRequests.revoke(u.id),
  send: (client, u, call) => client.revokeSignInSessions(u.id, call),
});

export const disableUser = identityStep(
  {
    intent: 'disableUser',
    request: (u) => identityRequests.accountEnabled(u.id, false),
    already: (u) => u.accountEnabled === false,
    send: (client, u, call) => client.setAccountEnabled(u.id, false, call),
  },
  'disable the user account',
);

export const enableUser = identityStep({
  intent: 'enableUser',
  request: (u) => identityRequests.accountEnabled(u.id, true),
  already: (u) => u.accountEnabled === true,
  send: (client, u, call) => client.setAccountEnabled(u.id, true, call),
});

export const confirmUserCompromised = identityStep({
  intent: 'confirmUserCompromised',
  request: (u) => identityRequests.risky('confirmCompromised', u.id),
  send: (client, u, call) => client.confirmRisky('confirmCompromised', u.id, call),
});

export const confirmUserSafe = identityStep({
  intent: 'confirmUserSafe',
  request: (u) => identityRequests.risky('confirmSafe', u.id),
  send: (client, u, call) => client.confirmRisky('confirmSafe', u.id, call),
});
