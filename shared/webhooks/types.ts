// Types shared by the webhook adapters: what the HTTP function hands in, what it gets back, and the compiled form
// of a mapping file (mappings/<source>.yaml after schema validation, with tables normalised and regexes built).
import type { CLASSIFICATIONS, DETERMINATIONS, IncidentUpdate } from '../defender/types';

/** The `{source}` route values this app accepts. */
export const WEBHOOK_SOURCES = ['servicenow', 'jira', 'generic'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

/** True for a known source name (exact, lower case). */
export function isWebhookSource(v: unknown): v is WebhookSource {
  return typeof v === 'string' && (WEBHOOK_SOURCES as readonly string[]).includes(v);
}

/** One HTTP delivery as the function received it. Header names are lower case (as Node gives them). */
export interface RawDelivery {
  source: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
  receivedAt: Date;
}

/** A verified, normalised ticket change, ready to be queued. */
export interface TicketEvent {
  source: WebhookSource;
  /** Dedupe key for this delivery: Jira `x-atlassian-webhook-identifier` (+ `:comment:<id>` for comment events), else `webhook-id`. */
  deliveryId: string;
  /** The logical event: equal across duplicate deliveries and across Jira's issue_updated / comment_created twins. */
  eventId: string;
  /** e.g. SEC-42 or INC0010001 ('' when a generic sender gives none). */
  ticketId: string;
  /** Defender incident id, digits only. */
  incidentId: string;
  /**
   * ISO-8601 UTC: when the ticket changed (Jira `timestamp`, ServiceNow `sys_updated_on`, the generic `occurredAt` or
   * Standard Webhooks envelope `timestamp`). Orders events per incident field (shared/webhooks/eventOrder.ts).
   */
  occurredAt: string;
  /**
   * A number that grows with each change of one ticket (Jira changelog id, ServiceNow `sys_mod_count`), digits only:
   * orders two events of the same ticket that carry the same time.
   */
  sequence?: string;
  actor?: string;
  update: IncidentUpdate;
  /** True when the change was made by Riposte itself: apply nothing, but remember the delivery. */
  echo: boolean;
  /** Parts of the change that were dropped (an unmapped status or user), for the caller to log. */
  warnings?: string[];
  /** The registry tenant (TENANTS key) the mapping routed it to; absent in a single-tenant deployment. */
  tenant?: string;
}

/** A delivery that is valid but carries nothing for Defender. */
export interface IgnoredDelivery {
  ignored: string;
}

/** Statuses a ticket may set (not `redirected`: only Defender merges incidents). */
export type SettableStatus = 'active' | 'inProgress' | 'resolved';
export type UpdatableClassification = (typeof CLASSIFICATIONS)[number];
export type UpdatableDetermination = (typeof DETERMINATIONS)[number];

/** A classification, with the determination when the mapping gives one. */
export interface Verdict {
  classification: UpdatableClassification;
  determination?: UpdatableDetermination;
}

export interface StatusTarget {
  status: SettableStatus;
  /** Applied when no classification rule matched (e.g. ServiceNow 8 Canceled has no close code). */
  verdict?: Verdict;
}

/** Keys of every lookup table are trimmed and lower-cased: ticket values match in any case. */
export interface StatusRule {
  field: string;
  map: ReadonlyMap<string, StatusTarget>;
  /** Per record type (ServiceNow `sys_class_name`): SIR Closed is 3, which is incident On Hold. */
  byRecordType: ReadonlyMap<string, ReadonlyMap<string, StatusTarget>>;
}

/** One way to find the Defender incident id on a ticket (mapping `incidentId[]`). */
export interface IncidentIdRule {
  field: string;
  /** Group 1 (or the whole match) must be the id; arrays (labels) are searched element by element. */
  pattern?: RegExp;
  when?: { field: string; equals: readonly string[] };
}

export interface AssigneeRule {
  /** Tried in order; the first value found in `users`, else the first that looks like a UPN, wins. */
  fields: readonly string[];
  users: ReadonlyMap<string, string>;
}

export interface ClassificationRule {
  from: ReadonlyArray<{ field: string; map: ReadonlyMap<string, Verdict> }>;
  default?: Verdict;
}

/** Which registry tenant a delivery acts in (mapping `tenant:`; several tenants only). */
export type TenantRoute = { fixed: string } | { field: string; map: ReadonlyMap<string, string> };

interface MappingBase {
  /** File the mapping came from, for messages. */
  file: string;
  /** Mapping `tenant:`: the tenant of every delivery, or a body field and a table from its value to a tenant key. */
  tenant?: TenantRoute;
  /** Lower-cased actor ids whose changes are Riposte's own. */
  echoActors: ReadonlySet<string>;
}

/** The field rules Jira and ServiceNow mappings share. */
export interface TicketMappingRules {
  incidentId: readonly IncidentIdRule[];
  status?: StatusRule;
  assignee?: AssigneeRule;
  classification?: ClassificationRule;
}

export interface JiraMapping extends MappingBase, TicketMappingRules {
  source: 'jira';
  comments: {
    enabled: boolean;
    /** `public`: only comments customers can see (jsdPublic not false, no visibility restriction). */
    visibility: 'all' | 'public' | 'internal';
    /** Which delivery carries comments: the full-issue `jira:issue_updated` or the reduced-issue `comment_created`. */
    from: 'issue_updated' | 'comment_created';
  };
  applyIssueCreated: boolean;
}

export interface ServiceNowMapping extends MappingBase, TicketMappingRules {
  source: 'servicenow';
  ticketIdField: string;
  recordTypeField?: string;
  changedFieldsField?: string;
  occurredAtField: string;
  actorField: string;
  commentFields: readonly string[];
  /** Resolution code and notes, added to the comment while the record's mapped status is resolved. */
  resolution?: ResolutionRule;
}

export interface ResolutionRule {
  /** ServiceNow `close_notes` ("Resolution notes"). */
  notesField: string;
  /** ServiceNow `close_code` ("Resolution code"). */
  codeField?: string;
  /** Stored close-code value (trimmed, lower case) → the label to show, for instances whose values differ. */
  codeLabels: ReadonlyMap<string, string>;
}

export interface GenericMapping extends MappingBase {
  source: 'generic';
  /** Extra status words (e.g. closed → resolved) on top of the domain values. */
  statusAliases: ReadonlyMap<string, SettableStatus>;
  /**
   * Standard Webhooks envelope `type`s to apply (exact, `prefix.*`, or `*`); others are ignored. Undefined: all.
   * The flat shape has no type and is not filtered.
   */
  eventTypes?: readonly string[];
}

/** A compiled mappings/<source>.yaml (see loadMappings). */
export type SourceMapping = JiraMapping | ServiceNowMapping | GenericMapping;

export type { IncidentUpdate };
