import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFilter, FilterError, parseFilter, type FilterSchema } from '../../sandbox/odataFilter';

interface Row {
  status: string;
  owner: string | null;
  created: string;
}

const schema: FilterSchema<Row> = {
  properties: {
    status: {
      kind: 'enum',
      get: (r) => r.status,
      parse: (v) => ['active', 'resolved', 'inProgress'].find((s) => s.toLowerCase() === v.toLowerCase()),
    },
    assignedTo: { kind: 'string', get: (r) => r.owner },
    createdDateTime: { kind: 'datetime', get: (r) => r.created },
  },
  notFilterable: (name) => `no property '${name}'`,
};

const rows: Row[] = [
  { status: 'active', owner: 'a@contoso.com', created: '2026-01-01T00:00:00Z' },
  { status: 'resolved', owner: null, created: '2026-01-05T12:00:00.1234567Z' },
  { status: 'inProgress', owner: "o'brien@contoso.com", created: '2026-01-10T00:00:00Z' },
];

const run = (filter: string): number[] => {
  const p = compileFilter(parseFilter(filter), schema);
  return rows.flatMap((r, i) => (p(r) ? [i] : []));
};

describe('OData $filter', () => {
  it('compares enums case-insensitively, with eq, ne and in', () => {
    assert.deepEqual(run("status eq 'Active'"), [0]);
    assert.deepEqual(run("status ne 'active'"), [1, 2]);
    assert.deepEqual(run("status in ('resolved', 'INPROGRESS')"), [1, 2]);
    assert.deepEqual(run("status eq microsoft.graph.security.incidentStatus'resolved'"), [1]);
  });

  it('compares date-times by instant, quoted or not, with 7 fractional digits', () => {
    assert.deepEqual(run('createdDateTime gt 2026-01-05T12:00:00Z'), [1, 2]);
    assert.deepEqual(run("createdDateTime le '2026-01-05T12:00:00.123Z'"), [0, 1]);
    assert.deepEqual(run('createdDateTime ge 2026-01-02 and createdDateTime lt 2026-01-10T00:00:00Z'), [1]);
  });

  it('handles null, escaped quotes, and/or precedence, not and parentheses', () => {
    assert.deepEqual(run('assignedTo eq null'), [1]);
    assert.deepEqual(run("assignedTo eq 'O''Brien@contoso.com'"), [2]);
    // and binds tighter than or.
    assert.deepEqual(run("status eq 'active' or status eq 'resolved' and assignedTo ne null"), [0]);
    assert.deepEqual(run("(status eq 'active' or status eq 'resolved') and assignedTo eq null"), [1]);
    assert.deepEqual(run("not (status eq 'active')"), [1, 2]);
  });

  it('rejects unknown properties, bad enum values, functions and unsupported operators with a message naming them', () => {
    assert.throws(
      () => run("severity eq 'high'"),
      (e: unknown) => e instanceof FilterError && e.message === "no property 'severity'",
    );
    assert.throws(() => run("status eq 'closed'"), /'closed' is not a valid enumeration/);
    assert.throws(() => run("startswith(assignedTo, 'a')"), /unknown function with name 'startswith'/);
    assert.throws(() => run("status has 'active'"), /operator 'has' is not supported/);
    assert.throws(() => run("status gt 'active'"), /operator 'gt' is not supported for property 'status'/);
    assert.throws(() => run('createdDateTime gt yesterday'), FilterError);
    assert.throws(() => run("status eq 'active"), /Unterminated string/);
    assert.throws(() => run("status eq 'active' and"), FilterError);
  });
});
