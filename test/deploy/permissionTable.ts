// The README's per-step permission table as shared/permissions.ts says it should read (test/deploy/permissionsDocs.test.ts
// compares them). One row per step kind: the permissions with each DEFENDER_API, grouped by API, the quota families
// its calls draw on, and the page read.
import { PERMISSION_APIS, STEP_PERMISSIONS, STEP_QUOTAS, type Permission } from '../../shared/permissions';

/** "Microsoft Graph `A`, `B`; WindowsDefenderATP `C`", "none", or "— (Graph only)". */
export function permissionCell(perms: readonly Permission[] | 'graphOnly'): string {
  if (perms === 'graphOnly') return '— (Graph only)';
  if (perms.length === 0) return 'none';
  const apis = [...new Set(perms.map((p) => p.api))];
  return apis
    .map(
      (api) =>
        `${PERMISSION_APIS[api].name} ${perms
          .filter((p) => p.api === api)
          .map((p) => `\`${p.role}\``)
          .join(', ')}`,
    )
    .join('; ');
}

export interface PermissionRow {
  kind: string;
  graph: string;
  legacy: string;
  quota: string;
}

/** "`machineActions`", "`jira`, `incidents`" or "none". */
export const quotaCell = (kind: string): string =>
  (STEP_QUOTAS[kind] ?? []).map((f) => `\`${f}\``).join(', ') || 'none';

export function expectedRows(): PermissionRow[] {
  return Object.entries(STEP_PERMISSIONS).map(([kind, p]) => ({
    kind,
    graph: permissionCell(p.graph),
    legacy: permissionCell(p.legacy),
    quota: quotaCell(kind),
  }));
}
