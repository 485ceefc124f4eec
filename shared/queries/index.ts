// Hunting query library: `.kql` files with a typed parameter header, bound with encoded `let` literals.
export type { QueryDefinition, QueryLibrary, QueryListItemType, QueryParamDef, QueryParamType } from './types';
export { QueryFileError, formatQueryFileProblem, type QueryFileProblem } from './queryFileError';
export { kqlStringLiteral } from './kqlStringLiteral';
export { DEFAULT_MAX_ITEMS, DEFAULT_MAX_STRING_LENGTH, encodeKqlLiteral } from './encodeLiteral';
export { parseQueryFile } from './parseQueryFile';
export { bindQuery, createQueryLibrary, loadQueryLibrary, MAX_BOUND_PARAMS_CHARS } from './queryLibrary';
export { huntingRequest, type HuntingRequest, type HuntingSpan } from './huntingRequest';
export { parseHuntingTimespan, type HuntingWindow } from './huntingTimespan';
export {
  huntingSchema,
  huntingTable,
  kustoColumnList,
  timestampTables,
  KUSTO_TYPES,
  type HuntingColumn,
  type HuntingFunction,
  type HuntingSchema,
  type HuntingTable,
  type KustoType,
} from './huntingSchema';
export { timestampTablesRead, windowInQuery } from './windowInQuery';
