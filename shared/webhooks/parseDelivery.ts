// Turns a verified delivery into a TicketEvent. Call verifyDelivery first: nothing here checks authenticity.
import { InputError } from '../errors';
import { parseGeneric } from './parseGeneric';
import { parseJira } from './parseJira';
import { parseServiceNow } from './parseServiceNow';
import { parseBodyObject } from './readBody';
import type { IgnoredDelivery, RawDelivery, SourceMapping, TicketEvent } from './types';

/**
 * @param mapping - the delivery's source mapping (from loadMappings).
 * @returns the event, or `{ ignored: reason }` for a valid delivery with nothing for Defender (another Jira event
 * type, a ticket not linked to an incident, no mapped field changed).
 * @throws {InputError} whose `field` names the offending part (`body`, `body.issue.fields.customfield_10123`,
 * `headers.webhook-id`, …): answer 400.
 */
export function parseDelivery(d: RawDelivery, mapping: SourceMapping): TicketEvent | IgnoredDelivery {
  if (d.source !== mapping.source) {
    throw new InputError(
      'source',
      `The delivery is for source '${String(d.source).slice(0, 40)}' but the mapping is for '${mapping.source}'`,
    );
  }
  const body = parseBodyObject(d.body);
  switch (mapping.source) {
    case 'jira':
      return parseJira(d, body, mapping);
    case 'servicenow':
      return parseServiceNow(d, body, mapping);
    case 'generic':
      return parseGeneric(d, body, mapping);
  }
}

/** Narrows parseDelivery's result to the ignored case. */
export function isIgnored(r: TicketEvent | IgnoredDelivery): r is IgnoredDelivery {
  return 'ignored' in r;
}
