// A Defender API client acting for a user: when the API refuses the call (403), that is the user's own Defender role
// (or the delegated permission), not our deployment, so the error becomes the caller's 403 naming the user and
// carrying the API's own words and request id.
import { DefenderApiError } from '../errors';
import type { DefenderHttp } from '../http/defenderHttp';
import type { ActingUser } from './bearerToken';

export function delegatedHttp(http: DefenderHttp, user: ActingUser): DefenderHttp {
  return {
    baseURL: http.baseURL,
    async request(req) {
      try {
        return await http.request(req);
      } catch (e) {
        if (!(e instanceof DefenderApiError) || e.status !== 403) throw e;
        throw new DefenderApiError(
          `${e.message} (on behalf of ${user.upn}, ${user.oid}: Defender applies the user's own role and the delegated permissions)`,
          {
            status: e.status,
            method: e.method,
            path: e.path,
            apiCode: e.apiCode,
            requestId: e.requestId,
            bodyExcerpt: e.bodyExcerpt,
            delegated: true,
          },
          { cause: e },
        );
      }
    },
  };
}
