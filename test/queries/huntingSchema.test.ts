// The schema data's own consistency (schemas/hunting/advanced-hunting-schema.json), offline: Kusto types only, no
// duplicate tables or columns, every table of Microsoft's schema list present, each entry citing its page, and the
// Timestamp tables derived from it (the hunting window's tables) as the documentation has them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  huntingSchema,
  huntingTable,
  KUSTO_TYPES,
  kustoColumnList,
  timestampTables,
  type HuntingColumn,
} from '../../shared/queries/huntingSchema';

const schema = huntingSchema();
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Every table the reference's table list names: MicrosoftDocs/defender-docs
// defender-xdr/advanced-hunting-schema-tables.md (commit 0ad90e34, ms.date 02/05/2026), "Learn the schema tables".
const LISTED_TABLES = [
  'AADSignInEventsBeta',
  'AADSpnSignInEventsBeta',
  'AIAgentsInfo',
  'AlertEvidence',
  'AlertInfo',
  'BehaviorEntities',
  'BehaviorInfo',
  'CampaignInfo',
  'CloudAppEvents',
  'CloudAuditEvents',
  'CloudDnsEvents',
  'CloudProcessEvents',
  'CloudStorageAggregatedEvents',
  'DataSecurityBehaviors',
  'DataSecurityEvents',
  'DeviceBaselineComplianceAssessment',
  'DeviceBaselineComplianceAssessmentKB',
  'DeviceBaselineComplianceProfiles',
  'DeviceEvents',
  'DeviceFileCertificateInfo',
  'DeviceFileEvents',
  'DeviceImageLoadEvents',
  'DeviceInfo',
  'DeviceLogonEvents',
  'DeviceNetworkEvents',
  'DeviceNetworkInfo',
  'DeviceProcessEvents',
  'DeviceRegistryEvents',
  'DeviceTvmBrowserExtensions',
  'DeviceTvmBrowserExtensionsKB',
  'DeviceTvmCertificateInfo',
  'DeviceTvmHardwareFirmware',
  'DeviceTvmInfoGathering',
  'DeviceTvmInfoGatheringKB',
  'DeviceTvmSecureConfigurationAssessment',
  'DeviceTvmSecureConfigurationAssessmentKB',
  'DeviceTvmSoftwareEvidenceBeta',
  'DeviceTvmSoftwareInventory',
  'DeviceTvmSoftwareVulnerabilities',
  'DeviceTvmSoftwareVulnerabilitiesKB',
  'DisruptionAndResponseEvents',
  'EmailAttachmentInfo',
  'EmailEvents',
  'EmailPostDeliveryEvents',
  'EmailUrlInfo',
  'EntraIdSignInEvents',
  'EntraIdSpnSignInEvents',
  'ExposureGraphEdges',
  'ExposureGraphNodes',
  'FileMaliciousContentInfo',
  'GraphApiAuditEvents',
  'IdentityAccountInfo',
  'IdentityDirectoryEvents',
  'IdentityEvents',
  'IdentityInfo',
  'IdentityLogonEvents',
  'IdentityQueryEvents',
  'MessageEvents',
  'MessagePostDeliveryEvents',
  'MessageUrlInfo',
  'OAuthAppInfo',
  'UrlClickEvents',
];

// Tables whose pages list no Timestamp column at all (snapshots and knowledge bases, and CallActivityEvents, whose
// time column is ActivityTimestamp): no hunting window applies to them.
const NO_TIMESTAMP = [
  'CallActivityEvents',
  'DeviceBaselineComplianceAssessment',
  'DeviceBaselineComplianceAssessmentKB',
  'DeviceBaselineComplianceProfiles',
  'DeviceTvmBrowserExtensions',
  'DeviceTvmBrowserExtensionsKB',
  'DeviceTvmCertificateInfo',
  'DeviceTvmHardwareFirmware',
  'DeviceTvmInfoGatheringKB',
  'DeviceTvmSecureConfigurationAssessmentKB',
  'DeviceTvmSoftwareEvidenceBeta',
  'DeviceTvmSoftwareInventory',
  'DeviceTvmSoftwareVulnerabilities',
  'DeviceTvmSoftwareVulnerabilitiesKB',
  'ExposureGraphEdges',
  'ExposureGraphNodes',
];

const everyColumnList = (): Array<[string, HuntingColumn[]]> => [
  ...schema.tables.map((t): [string, HuntingColumn[]] => [t.name, t.columns]),
  ...schema.functions.map((f): [string, HuntingColumn[]] => [`${f.name}()`, f.columns]),
];

describe('the advanced hunting schema data', () => {
  it('has every table of the reference list, each once, sorted, with a documented function set', () => {
    const names = schema.tables.map((t) => t.name);
    for (const t of LISTED_TABLES) assert.ok(names.includes(t), `${t} is missing`);
    assert.equal(new Set(names).size, names.length, 'a table is listed twice');
    assert.deepEqual(
      names,
      [...names].sort((a, b) => a.localeCompare(b, 'en')),
    );
    assert.deepEqual(schema.functions.map((f) => f.name).sort(), [
      'AssignedIPAddresses',
      'DeviceFromIP',
      'FileProfile',
      'GetAnomalousBehaviorsAbout',
      'GetAnomalousBehaviorsByKind',
      'GetAnomalousBehaviorsByValue',
      'GetFirstSeenBehaviors',
      'GetHighVolumeAnomalyBehaviors',
      'GetUncommonValueBehaviors',
      'SeenBy',
    ]);
  });

  it('types every column with a Kusto type, names each once, and keeps the page word only where it differs', () => {
    for (const [owner, columns] of everyColumnList()) {
      const seen = new Set<string>();
      for (const c of columns) {
        assert.match(c.name, IDENT, `${owner}.${c.name}`);
        assert.ok(!seen.has(c.name), `${owner}.${c.name} is listed twice`);
        seen.add(c.name);
        assert.ok((KUSTO_TYPES as readonly string[]).includes(c.type), `${owner}.${c.name}: ${c.type}`);
        if (c.docType !== undefined) assert.notEqual(c.docType, c.type, `${owner}.${c.name} docType repeats type`);
        if (c.override !== undefined) assert.ok(c.docType, `${owner}.${c.name}: an override keeps the page's word`);
      }
    }
  });

  it('cites the page and commit each table and function was read from', () => {
    for (const t of [...schema.tables, ...schema.functions]) {
      const kind = schema.tables.includes(t as never) ? 'table' : 'function';
      assert.equal(t.source.path, `defender-xdr/advanced-hunting-${t.name.toLowerCase()}-${kind}.md`, t.name);
      assert.match(t.source.commit, /^[0-9a-f]{40}$/, t.name);
      if (t.source.msDate !== null) assert.match(t.source.msDate, /^20\d\d-\d\d-\d\d$/, t.name);
    }
  });

  it('gives every table with a Timestamp a datetime one, and none to the documented snapshot tables', () => {
    for (const t of schema.tables) {
      const ts = t.columns.find((c) => c.name === 'Timestamp');
      if (NO_TIMESTAMP.includes(t.name)) assert.equal(ts, undefined, t.name);
      else assert.equal(ts?.type, 'datetime', `${t.name} has a datetime Timestamp`);
    }
    // The one page that types it otherwise is corrected visibly, not silently.
    const graph = huntingTable('GraphApiAuditEvents')?.columns.find((c) => c.name === 'Timestamp');
    assert.equal(graph?.docType, 'string');
    assert.ok(graph?.override);
  });

  it('derives the hunting-window tables: every table but the snapshots', () => {
    assert.deepEqual(
      [...timestampTables()],
      schema.tables
        .map((t) => t.name)
        .filter((n) => !NO_TIMESTAMP.includes(n))
        .sort(),
    );
    assert.ok(timestampTables().includes('DeviceProcessEvents'));
    assert.ok(!timestampTables().includes('DeviceTvmSoftwareInventory'));
  });

  it('keeps the documented type differences between tables (ReportId, AdditionalFields, ports)', () => {
    const type = (table: string, column: string) => huntingTable(table)?.columns.find((c) => c.name === column)?.type;
    assert.equal(type('DeviceProcessEvents', 'ReportId'), 'long');
    assert.equal(type('EmailEvents', 'ReportId'), 'string');
    assert.equal(type('DeviceProcessEvents', 'AdditionalFields'), 'string');
    assert.equal(type('CloudAppEvents', 'AdditionalFields'), 'dynamic');
    assert.equal(type('DeviceNetworkEvents', 'RemotePort'), 'int');
    assert.equal(type('DeviceInfo', 'OSBuild'), 'long');
    assert.equal(type('AlertInfo', 'IncidentId'), undefined, 'AlertInfo has no IncidentId');
    assert.equal(type('DeviceLogonEvents', 'AccountUpn'), undefined, 'DeviceLogonEvents has no AccountUpn');
  });

  it('declares each function so that optional arguments follow required ones', () => {
    for (const f of schema.functions) {
      let optional = false;
      for (const p of f.parameters) {
        assert.ok((KUSTO_TYPES as readonly string[]).includes(p.type), `${f.name}(${p.name})`);
        if (p.default !== undefined) optional = true;
        else assert.equal(optional, false, `${f.name}: required ${p.name} after an optional parameter`);
      }
      if (f.output === 'table') assert.ok(f.columns.length > 0, `${f.name} returns columns`);
    }
  });

  it("writes a table's columns in Kusto's schema syntax", () => {
    const alertInfo = huntingTable('AlertInfo');
    assert.ok(alertInfo);
    assert.equal(
      kustoColumnList(alertInfo.columns),
      '(Timestamp:datetime, AlertId:string, Title:string, Category:string, Severity:string, ServiceSource:string, DetectionSource:string, AttackTechniques:string)',
    );
  });
});
