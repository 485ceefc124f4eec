// `invoke FileProfile(IdColumn, Count)` (advanced-hunting-fileprofile-function.md): adds Defender's file facts to
// the first Count rows (default 100, at most 1000) keyed by SHA1 (default), SHA256 or an InitiatingProcess hash.
// The sandbox knows the seed's attack files (rare, unsigned, detected) and treats other hashes as common signed
// Windows binaries.
import type { Expr } from './ast';
import { addTicks, TICKS_PER_DAY } from './datetime';
import { semanticError, type Plan, type QueryEnv, type Scope } from './expressions';
import { ProjectionBuilder } from './projection';
import { files } from '../seed/entities';
import { schemaFunction } from './seedSchemas';
import type { KqlColumn } from './types';
import { toLong, type Row } from './values';

/** The columns FileProfile() adds, with their documented types (from the schema). */
export function fileProfileColumns(): readonly KqlColumn[] {
  return schemaFunction('FileProfile')?.columns ?? [];
}

const ID_COLUMNS = ['SHA1', 'SHA256', 'InitiatingProcessSHA1', 'InitiatingProcessSHA256'];

function profileOf(hash: string, now: string): Row {
  const known = files.find((f) => f.sha1 === hash || f.sha256 === hash);
  if (known) {
    const tool = known.fileName.startsWith('mimikatz');
    return {
      SHA1: known.sha1,
      SHA256: known.sha256,
      MD5: '',
      FileSize: tool ? 1_355_680 : 1_245_184,
      GlobalPrevalence: tool ? 412 : 3,
      GlobalFirstSeen: addTicks(now, -(tool ? 900 : 2) * TICKS_PER_DAY),
      GlobalLastSeen: now,
      Signer: '',
      Issuer: '',
      SignerHash: '',
      IsCertificateValid: false,
      IsRootSignerMicrosoft: false,
      SignatureState: 'Unsigned',
      IsExecutable: true,
      ThreatName: tool ? 'HackTool:Win32/Mimikatz' : 'Trojan:Win32/Wacatac.B!ml',
      Publisher: '',
      SoftwareName: '',
      ProfileAvailability: 'Available',
    };
  }
  const sha1 = /^[0-9a-f]{40}$/i.test(hash);
  return {
    SHA1: sha1 ? hash : '',
    SHA256: sha1 ? '' : hash,
    MD5: '',
    FileSize: 200_000 + (parseInt(hash.slice(0, 4), 16) || 0) * 10,
    GlobalPrevalence: 1_000_000 + (parseInt(hash.slice(4, 8), 16) || 0),
    GlobalFirstSeen: addTicks(now, -1200 * TICKS_PER_DAY),
    GlobalLastSeen: now,
    Signer: 'Microsoft Windows',
    Issuer: 'Microsoft Windows Production PCA 2011',
    SignerHash: '',
    IsCertificateValid: true,
    IsRootSignerMicrosoft: true,
    SignatureState: 'SignedValid',
    IsExecutable: true,
    ThreatName: '',
    Publisher: 'Microsoft Corporation',
    SoftwareName: 'Windows',
    ProfileAvailability: 'Available',
  };
}

export function fileProfile(input: Plan, call: Extract<Expr, { k: 'call' }>, scope: Scope, env: QueryEnv): Plan {
  const [idArg, countArg] = call.args;
  let id = 'SHA1';
  if (idArg) {
    if (idArg.k !== 'name' && !(idArg.k === 'literal' && typeof idArg.value === 'string'))
      throw semanticError(scope, 'FileProfile(): the first argument names the hash column', idArg.pos);
    id = idArg.k === 'name' ? idArg.name : String(idArg.value);
  }
  if (!ID_COLUMNS.includes(id))
    throw semanticError(scope, `FileProfile(): the id column must be one of ${ID_COLUMNS.join(', ')}`, call.pos);
  if (!scope.columns.has(id)) throw semanticError(scope, `FileProfile(): the input has no column '${id}'`, call.pos);
  let count = 100;
  if (countArg) {
    const n = countArg.k === 'literal' ? toLong(countArg.value, countArg.type) : null;
    if (n === null || n < 1)
      throw semanticError(scope, 'FileProfile(): the record count must be 1 to 1000', countArg.pos);
    // The page documents 1 to 1000; hunters' queries pass more (10000) and run: at most 1000 rows are enriched.
    count = Math.min(n, 1000);
  }
  const builder = new ProjectionBuilder();
  for (const c of input.columns) builder.add(c.name, c.type, () => null);
  for (const c of fileProfileColumns()) if (c.name !== id) builder.add(c.name, c.type, () => null, true);
  const added = fileProfileColumns().filter((c) => c.name !== id);
  return {
    columns: builder.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: () =>
      input.rows().map((row, i) => {
        const o: Row = { ...row };
        const hash = String(row[id] ?? '');
        const profile = i < count && hash ? profileOf(hash, env.now) : null;
        for (const c of added) o[c.name] = profile ? profile[c.name] : c.type === 'string' ? '' : null;
        return o;
      }),
  };
}
