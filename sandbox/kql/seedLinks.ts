// Links the everyday rows of the seed tables to each other after they are generated: a mail detail (attachment,
// URL, click, purge, ...) whose message id no EmailEvents row has takes the id, sender, recipient and subject of an
// ordinary (threat-free) mail, and alert evidence whose alert id AlertInfo lacks takes an everyday alert's id and
// details. The attack story's and the techniques' rows already share their ids and are left alone.
import type { KqlTable } from './types';
import type { Row } from './values';

const MAIL_COLUMNS = [
  'NetworkMessageId',
  'SenderFromAddress',
  'SenderMailFromAddress',
  'SenderFromDomain',
  'SenderDisplayName',
  'RecipientEmailAddress',
  'RecipientObjectId',
  'Subject',
];
const ALERT_COLUMNS = [
  'AlertId',
  'Title',
  'Category',
  'Severity',
  'ServiceSource',
  'DetectionSource',
  'AttackTechniques',
];

function relink(
  table: KqlTable,
  key: string,
  known: Set<unknown>,
  pool: readonly Row[],
  copy: readonly string[],
): void {
  if (pool.length === 0 || !table.columns.some((c) => c.name === key)) return;
  const shared = copy.filter((name) => table.columns.some((c) => c.name === name));
  let next = 0;
  for (const row of table.rows) {
    const id = row[key];
    if (id === '' || id === null || known.has(id)) continue;
    const source = pool[next++ % pool.length] as Row;
    for (const name of shared) if (name in source) row[name] = source[name];
  }
}

export function linkSeedTables(tables: ReadonlyMap<string, KqlTable>): void {
  const emails = tables.get('EmailEvents')?.rows ?? [];
  const messageIds = new Set(emails.map((r) => r.NetworkMessageId));
  const ordinaryMail = emails.filter((r) => r.ThreatTypes === '');
  const alerts = tables.get('AlertInfo')?.rows ?? [];
  const alertIds = new Set(alerts.map((r) => r.AlertId));
  // Everyday alerts: those no evidence row names yet.
  const evidenced = new Set((tables.get('AlertEvidence')?.rows ?? []).map((r) => r.AlertId));
  const everydayAlerts = alerts.filter((r) => !evidenced.has(r.AlertId));
  for (const table of tables.values()) {
    if (table.name !== 'EmailEvents') relink(table, 'NetworkMessageId', messageIds, ordinaryMail, MAIL_COLUMNS);
    if (table.name === 'AlertEvidence') relink(table, 'AlertId', alertIds, everydayAlerts, ALERT_COLUMNS);
  }
}
