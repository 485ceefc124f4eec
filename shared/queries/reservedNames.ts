// Names a parameter may not take: a `let` with one of these names would shadow a keyword, a function the query may
// call, or a Defender table. Compared case-insensitively. (Parameter names must also start with a lower-case letter,
// which already keeps them apart from the PascalCase tables and columns.)

// Identifier-shaped keywords of Kusto.Language (SyntaxFacts.Keywords); a test checks this list against the parser.
const KEYWORDS = `access accumulate alias and anomalychart areachart as asc bagexpansion barchart best_effort between bin
bin_legacy bool boolean by byte cachingpolicy callout cancel card char columnchart consume contains contains_cs containscs
count cycles database dataexport dataformat datascope datatable date datetime datetime_pattern decimal declare
decodeblocks default desc distinct double dynamic earliest edges encodingpolicy endswith endswith_cs entity_group
evaluate expandoutput extend extent_tags_retention external_data externaldata facet filter find first flags float
force_remote fork from getschema graph guid harddelete hardretention has has_all has_any has_cs hasprefix hasprefix_cs
hassuffix hassuffix_cs hotcache id in inline_external_table int int16 int32 int64 int8 invoke isfuzzy join journal kind
ladderchart last latest let like likecs limit linechart long lookup materialize mdm missing mvapply mvexpand nodes
nooptimization notcontains notcontainscs notlike notlikecs null nulls of on optional or order others output pack parse
partition pathformat pattern piechart pivotchart plotly print project queries query_parameters query_results range real
reduce regex relaxed render restrict restricted_view_access row_level_security rowstore rowstore_references
rowstore_sealinfo rowstorepolicy rowstores sample scan scatterchart seal seals search serialize set shards simple
softdelete softretention sort sql stackedareachart startswith startswith_cs statistics step storedqueryresultcontainers
string summarize tablepurge take time timechart timeline timepivot timespan title to top toscalar totable treemap typeof
uint uint16 uint32 uint64 uint8 ulong union uniqueid unrestrictedviewers uuid verbose view viewers views where with
with_itemindex with_match_id with_node_id with_source with_step_name withsource writeaheadlog true false not`;

// Scalar and aggregate functions common in hunting queries (hunting-schema.md §2.5, §2.6).
const FUNCTIONS = `ago now datetime_add datetime_diff startofday startofweek endofday format_datetime todatetime totimespan
bin floor round abs tostring toint tolong todouble toreal tobool todynamic toguid parse_json parsejson parse_url
parse_path extract extract_all extractjson split strcat strcat_array strlen substring replace replace_string
replace_regex trim trim_start trim_end tolower toupper indexof countof isempty isnotempty isnull isnotnull iff iif case
coalesce array_length array_index_of array_concat pack_array bag_pack pack_dictionary bag_keys set_difference
set_intersect set_union base64_decode_tostring url_decode hash_sha256 tohex ipv4_is_private ipv4_is_in_range
ipv4_is_match ipv6_is_match column_ifexists geo_info_from_ip_address hourofday dayofweek make_set make_set_if makeset
make_list make_list_if makelist make_bag dcount dcountif countif arg_max arg_min min max sum avg any take_any
count_distinct percentile stdev variance`;

// Advanced hunting tables (Defender XDR schema reference).
const TABLES = `AlertEvidence AlertInfo BehaviorEntities BehaviorInfo AADSignInEventsBeta AADSpnSignInEventsBeta
EntraIdSignInEvents EntraIdSpnSignInEvents CloudAppEvents CloudAuditEvents CloudProcessEvents DeviceEvents
DeviceFileCertificateInfo DeviceFileEvents DeviceImageLoadEvents DeviceInfo DeviceLogonEvents DeviceNetworkEvents
DeviceNetworkInfo DeviceProcessEvents DeviceRegistryEvents DeviceTvmSecureConfigurationAssessment
DeviceTvmSecureConfigurationAssessmentKB DeviceTvmSoftwareEvidenceBeta DeviceTvmSoftwareInventory
DeviceTvmSoftwareVulnerabilities DeviceTvmSoftwareVulnerabilitiesKB DeviceTvmBrowserExtensions
DeviceTvmBrowserExtensionsKB DeviceTvmCertificateInfo DeviceTvmHardwareFirmware DeviceTvmInfoGathering
DeviceTvmInfoGatheringKB DataSecurityBehaviors DataSecurityEvents DisruptionAndResponseEvents EmailAttachmentInfo
EmailEvents EmailPostDeliveryEvents EmailUrlInfo ExposureGraphEdges ExposureGraphNodes GraphApiAuditEvents
IdentityAccountInfo IdentityDirectoryEvents IdentityEvents IdentityInfo IdentityLogonEvents IdentityQueryEvents
MessageEvents MessagePostDeliveryEvents MessageUrlInfo OAuthAppInfo UrlClickEvents CampaignInfo FileProfile`;

const words = (text: string): string[] => text.split(/\s+/).filter(Boolean);

const RESERVED = new Map<string, string>([
  ...words(TABLES).map((w): [string, string] => [w.toLowerCase(), 'a hunting table']),
  ...words(FUNCTIONS).map((w): [string, string] => [w.toLowerCase(), 'a KQL function']),
  ...words(KEYWORDS).map((w): [string, string] => [w.toLowerCase(), 'a KQL keyword']),
]);

/** Why `name` cannot be a parameter name ("a KQL keyword", ...), or undefined when it can. */
export function reservedNameKind(name: string): string | undefined {
  return RESERVED.get(name.toLowerCase());
}
