// Tabular operators: columns (names, types, order) and rows, including Kusto's column naming rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { column, run } from './fixtures';

const names = (query: string) => run(query).columns.map((c) => `${c.name}:${c.type}`);

describe('where / filter', () => {
  it('keeps rows whose condition is true', () => {
    assert.deepEqual(column('Events | where Port > 100 | filter IsAdmin | project FileName', 'FileName'), [
      'powershell.exe',
      'POWERSHELL.EXE',
    ]);
  });

  it('requires a boolean condition', () => {
    assert.throws(() => run('Events | where Port'), { kind: 'semantic', message: /'where' operator: .*bool/ });
  });
});

describe('project, project-away, project-rename, project-reorder, extend', () => {
  it('project selects, renames and computes, naming columns as Kusto does', () => {
    assert.deepEqual(
      names(
        'Events | project FileName, kb = Bytes / 1024, strlen(FileName), tolower(FileName), Port + 1, Extra.user, bin(Timestamp, 1d)',
      ),
      [
        'FileName:string',
        'kb:long',
        'strlen_FileName:long',
        'Column1:string',
        'Column2:long',
        'Extra_user:dynamic',
        'Timestamp:datetime',
      ],
    );
    assert.deepEqual(run('Events | take 1 | project FileName, kb = Bytes / 1024').rows, [
      { FileName: 'powershell.exe', kb: 1 },
    ]);
  });

  it('project rejects a duplicate explicit name', () => {
    assert.throws(() => run('Events | project FileName, FileName'), {
      kind: 'semantic',
      message: "'project' operator: A column with the name 'FileName' is already declared.",
    });
  });

  it('project-away drops columns by name and wildcard', () => {
    assert.deepEqual(names('Events | project-away CommandLine, Extra, Elapsed, Is*, Score, Bytes'), [
      'Timestamp:datetime',
      'DeviceName:string',
      'FileName:string',
      'Port:int',
    ]);
    assert.throws(() => run('Events | project-away Nope'), {
      kind: 'semantic',
      message: /Failed to resolve scalar expression named 'Nope'/,
    });
  });

  it('project-rename renames in place', () => {
    const result = run('Events | project FileName, Port | project-rename Image = FileName | take 1');
    assert.deepEqual(
      result.columns.map((c) => c.name),
      ['Image', 'Port'],
    );
    assert.deepEqual(result.rows, [{ Image: 'powershell.exe', Port: 443 }]);
  });

  it('project-reorder moves the named columns first', () => {
    assert.deepEqual(
      run('Events | project FileName, Port, DeviceName | project-reorder DeviceName | take 1').columns.map(
        (c) => c.name,
      ),
      ['DeviceName', 'FileName', 'Port'],
    );
  });

  it('extend appends, replaces same-named columns in place and sees earlier columns of the same extend', () => {
    const result = run(
      'Events | project FileName, Port | extend Port = Port * 10, twice = Port * 2, tolower(FileName) | take 1',
    );
    assert.deepEqual(
      result.columns.map((c) => `${c.name}:${c.type}`),
      ['FileName:string', 'Port:long', 'twice:long', 'Column1:string'],
    );
    assert.deepEqual(result.rows, [{ FileName: 'powershell.exe', Port: 4430, twice: 8860, Column1: 'powershell.exe' }]);
  });
});

describe('summarize', () => {
  it('computes every aggregate with Kusto names and types', () => {
    const result = run(
      'Events | summarize count(), countif(IsAdmin), dcount(DeviceName), make_set(DeviceName), make_list(Port), ' +
        'min(Timestamp), max(Bytes), sum(Bytes), avg(Score), sum(Port), take_any(FileName)',
    );
    assert.deepEqual(
      result.columns.map((c) => `${c.name}:${c.type}`),
      [
        'count_:long',
        'countif_IsAdmin:long',
        'dcount_DeviceName:long',
        'set_DeviceName:dynamic',
        'list_Port:dynamic',
        'min_Timestamp:datetime',
        'max_Bytes:long',
        'sum_Bytes:long',
        'avg_Score:real',
        'sum_Port:long',
        'FileName:string',
      ],
    );
    assert.deepEqual(result.rows, [
      {
        count_: 4,
        countif_IsAdmin: 2,
        dcount_DeviceName: 3,
        set_DeviceName: ['ws-1', 'ws-2', 'srv-1'],
        list_Port: [443, 80, 8080, 445],
        min_Timestamp: '2026-10-01T00:00:00.0000000Z',
        max_Bytes: 5000,
        sum_Bytes: 6500,
        avg_Score: 3.75 / 3,
        sum_Port: 9048,
        FileName: 'powershell.exe',
      },
    ]);
  });

  it('groups by columns and by bin(Timestamp, ...), by-columns first', () => {
    const result = run(
      'Events | summarize n = count(), files = make_set(FileName) by DeviceName | order by n desc, DeviceName asc',
    );
    assert.deepEqual(
      result.columns.map((c) => c.name),
      ['DeviceName', 'n', 'files'],
    );
    assert.deepEqual(result.rows, [
      { DeviceName: 'ws-1', n: 2, files: ['powershell.exe', 'Network.exe'] },
      { DeviceName: 'srv-1', n: 1, files: ['POWERSHELL.EXE'] },
      { DeviceName: 'ws-2', n: 1, files: ['cmd.exe'] },
    ]);
    const byDay = run(
      'Events | where Timestamp > datetime(2026-11-13) | summarize count() by bin(Timestamp, 1d) | order by Timestamp asc',
    );
    assert.deepEqual(byDay.rows, [
      { Timestamp: '2026-11-13T00:00:00.0000000Z', count_: 1 },
      { Timestamp: '2026-11-14T00:00:00.0000000Z', count_: 1 },
    ]);
  });

  it('arg_max(Timestamp, *) keeps the latest row per key, without repeating the key', () => {
    const result = run(
      'Events | summarize arg_max(Timestamp, *) by DeviceName | project DeviceName, Timestamp, FileName | order by DeviceName asc',
    );
    assert.deepEqual(result.rows, [
      { DeviceName: 'srv-1', Timestamp: '2026-10-01T00:00:00.0000000Z', FileName: 'POWERSHELL.EXE' },
      { DeviceName: 'ws-1', Timestamp: '2026-11-14T10:00:00.0000000Z', FileName: 'powershell.exe' },
      { DeviceName: 'ws-2', Timestamp: '2026-11-13T09:30:00.1234567Z', FileName: 'cmd.exe' },
    ]);
    const star = run('Events | summarize arg_max(Timestamp, *) by DeviceName').columns.map((c) => c.name);
    assert.deepEqual(star, [
      'DeviceName',
      'Timestamp',
      'FileName',
      'CommandLine',
      'Port',
      'Bytes',
      'Score',
      'IsAdmin',
      'Extra',
      'Elapsed',
    ]);
    assert.deepEqual(run('Events | summarize arg_min(Port, FileName)').rows, [{ Port: 80, FileName: 'cmd.exe' }]);
  });

  it('yields one row without by even on no input, and none with by', () => {
    assert.deepEqual(run('Events | where Port == 1 | summarize count(), max(Port)').rows, [
      { count_: 0, max_Port: null },
    ]);
    assert.deepEqual(run('Events | where Port == 1 | summarize count() by DeviceName').rows, []);
  });

  it('supports the conditional aggregates', () => {
    assert.deepEqual(
      run(
        'Events | summarize dcountif(DeviceName, IsAdmin), make_set_if(FileName, Port < 100), make_list_if(Port, IsAdmin), sumif(Bytes, IsAdmin)',
      ).rows,
      [{ dcountif_DeviceName: 2, set_FileName: ['cmd.exe'], list_Port: [443, 445], sumif_Bytes: 6200 }],
    );
  });

  it('accepts the legacy makeset/makelist and the other conditional aggregates', () => {
    assert.deepEqual(
      run(
        'Events | summarize makeset(DeviceName), makelist(IsAdmin), maxif(Port, IsAdmin), minif(Port, IsAdmin), avgif(Bytes, IsAdmin), count_distinct(DeviceName)',
      ).rows,
      [
        {
          set_DeviceName: ['ws-1', 'ws-2', 'srv-1'],
          list_IsAdmin: [true, false, true],
          maxif_Port: 445,
          minif_Port: 443,
          avgif_Bytes: 3100,
          count_distinct_DeviceName: 3,
        },
      ],
    );
  });

  it('rejects non-aggregates', () => {
    assert.throws(() => run('Events | summarize tolower(FileName)'), {
      kind: 'semantic',
      message: /'summarize' operator: .*'tolower' is not an aggregation function/,
    });
    assert.throws(() => run('Events | where count() > 1'), {
      kind: 'semantic',
      message: /only be used in 'summarize'/,
    });
  });
});

describe('order by / sort by, take / limit, top, distinct, count', () => {
  it('sorts descending by default, with several keys and nulls last', () => {
    assert.deepEqual(column('Events | order by Bytes | project Bytes', 'Bytes'), [5000, 1200, 300, null]);
    assert.deepEqual(column('Events | sort by Bytes asc | project Bytes', 'Bytes'), [null, 300, 1200, 5000]);
    assert.deepEqual(column('Events | sort by Bytes asc nulls last | project Bytes', 'Bytes'), [300, 1200, 5000, null]);
    assert.deepEqual(
      column('Events | order by DeviceName asc, Port desc | project Port', 'Port'),
      [445, 8080, 443, 80],
    );
    assert.deepEqual(column('Events | order by FileName asc | project FileName', 'FileName'), [
      'Network.exe',
      'POWERSHELL.EXE',
      'cmd.exe',
      'powershell.exe',
    ]);
  });

  it('take and limit cut the row count', () => {
    assert.equal(run('Events | take 2').rows.length, 2);
    assert.equal(run('Events | limit 3').rows.length, 3);
    assert.equal(run('let n = 1; Events | take n').rows.length, 1);
  });

  it('top N by x returns the N largest (or smallest with asc)', () => {
    assert.deepEqual(column('Events | top 2 by Port | project Port', 'Port'), [8080, 445]);
    assert.deepEqual(column('Events | top 1 by Timestamp asc | project FileName', 'FileName'), ['POWERSHELL.EXE']);
  });

  it('distinct returns unique combinations', () => {
    assert.deepEqual(run('Events | distinct DeviceName | order by DeviceName asc').rows, [
      { DeviceName: 'srv-1' },
      { DeviceName: 'ws-1' },
      { DeviceName: 'ws-2' },
    ]);
    assert.equal(run('Events | distinct DeviceName, IsAdmin').rows.length, 4);
    assert.equal(run('Events | project DeviceName | distinct *').rows.length, 3);
  });

  it('count returns one Count row', () => {
    assert.deepEqual(run('Events | where DeviceName == "ws-1" | count'), {
      columns: [{ name: 'Count', type: 'long' }],
      rows: [{ Count: 2 }],
      truncated: false,
    });
  });

  it('print evaluates expressions without a table', () => {
    assert.deepEqual(run('print 1 + 1, s = "x"').rows, [{ print_0: 2, s: 'x' }]);
  });
});
