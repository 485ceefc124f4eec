// The sandbox's KQL engine: checks and evaluates a subset of KQL over in-memory advanced-hunting tables.
export { apiTypeName, KqlError } from './types';
export type { KqlColumn, KqlContext, KqlErrorKind, KqlResult, KqlTable, KqlType } from './types';
export { checkKqlSyntax, runKql } from './engine';
export { createSeedTables, SEED_ALERT_IDS, SEED_TABLE_NAMES } from './seedTables';
export { generateLargeTable } from './largeTable';
