// Scalar expressions: comparison and string operators with Kusto's semantics, lists, between, arithmetic,
// functions, dynamic access and let statements.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { column, run, typeOf, value } from './fixtures';

const files = (where: string) => column(`Events | where ${where} | project FileName`, 'FileName');

describe('comparison operators', () => {
  it('== is case-sensitive, =~ is not', () => {
    assert.deepEqual(files('FileName == "powershell.exe"'), ['powershell.exe']);
    assert.deepEqual(files('FileName =~ "PowerShell.EXE"'), ['powershell.exe', 'POWERSHELL.EXE']);
    assert.deepEqual(files('FileName != "cmd.exe"'), ['powershell.exe', 'Network.exe', 'POWERSHELL.EXE']);
    assert.deepEqual(files('FileName !~ "powershell.exe"'), ['cmd.exe', 'Network.exe']);
  });

  it('orders numbers, datetimes and timespans', () => {
    assert.deepEqual(files('Port < 443'), ['cmd.exe']);
    assert.deepEqual(files('Port >= 443 and Bytes > 1000'), ['powershell.exe', 'POWERSHELL.EXE']);
    assert.deepEqual(files('Score <= 1'), ['powershell.exe', 'POWERSHELL.EXE']);
    assert.deepEqual(files('Timestamp > datetime(2026-11-13)'), ['powershell.exe', 'cmd.exe']);
    assert.deepEqual(files('Elapsed >= 1h'), ['cmd.exe', 'POWERSHELL.EXE']);
    assert.deepEqual(files('IsAdmin == true'), ['powershell.exe', 'POWERSHELL.EXE']);
  });

  it('treats comparisons with null as false', () => {
    assert.deepEqual(files('Bytes < 100000'), ['powershell.exe', 'cmd.exe', 'POWERSHELL.EXE']);
    assert.deepEqual(files('Bytes != 300'), ['powershell.exe', 'POWERSHELL.EXE']);
  });

  it('combines with and, or and not()', () => {
    assert.deepEqual(files('DeviceName == "ws-1" and not(FileName has "network")'), ['powershell.exe']);
    assert.deepEqual(files('Port == 80 or Port == 445'), ['cmd.exe', 'POWERSHELL.EXE']);
    assert.deepEqual(files('(Port == 80 or Port == 445) and IsAdmin'), ['POWERSHELL.EXE']);
  });
});

describe('string operators', () => {
  it('has matches whole terms only, case-insensitively', () => {
    assert.deepEqual(files('CommandLine has "webclient"'), ['powershell.exe']);
    assert.deepEqual(files('CommandLine has "net"'), ['powershell.exe']); // "Net.WebClient", not "Network.exe"
    assert.deepEqual(files('CommandLine has "Web"'), []);
    assert.deepEqual(files('CommandLine has "-enc"'), ['powershell.exe']);
    assert.deepEqual(files('CommandLine has "198.51.100.23"'), ['powershell.exe']);
    assert.deepEqual(files('CommandLine has "New-Object Net.WebClient"'), ['powershell.exe']);
    assert.deepEqual(files('CommandLine !has "powershell.exe"'), ['cmd.exe', 'Network.exe']);
  });

  it('has_cs is case-sensitive', () => {
    assert.deepEqual(files('CommandLine has_cs "POWERSHELL"'), ['POWERSHELL.EXE']);
  });

  it('contains, startswith and endswith ignore case; their _cs forms do not', () => {
    assert.deepEqual(files('CommandLine contains "WEBCLIENT"'), ['powershell.exe']);
    assert.deepEqual(files('CommandLine contains "work"'), ['Network.exe']);
    assert.deepEqual(files('CommandLine !contains "e"'), []);
    assert.deepEqual(files('FileName startswith "POWER"'), ['powershell.exe', 'POWERSHELL.EXE']);
    assert.deepEqual(files('FileName !startswith "power"'), ['cmd.exe', 'Network.exe']);
    assert.deepEqual(files('FileName endswith ".EXE"'), ['powershell.exe', 'cmd.exe', 'Network.exe', 'POWERSHELL.EXE']);
    assert.deepEqual(files('FileName !endswith "exe"'), []);
    assert.deepEqual(files('FileName contains_cs "Net"'), ['Network.exe']);
    assert.deepEqual(files('FileName startswith_cs "POWER"'), ['POWERSHELL.EXE']);
  });

  it('matches regex searches anywhere, with (?i)', () => {
    assert.deepEqual(files(String.raw`CommandLine matches regex @"-enc\s+[A-Za-z0-9+/=]{8,}"`), ['powershell.exe']);
    assert.deepEqual(files('FileName matches regex "^power"'), ['powershell.exe']);
    assert.deepEqual(files('FileName matches regex "(?i)^power"'), ['powershell.exe', 'POWERSHELL.EXE']);
  });
});

describe('list operators', () => {
  it('in is case-sensitive, in~ is not, and both have negations', () => {
    assert.deepEqual(files('FileName in ("cmd.exe", "powershell.exe")'), ['powershell.exe', 'cmd.exe']);
    assert.deepEqual(files('FileName in~ ("CMD.EXE", "powershell.exe")'), [
      'powershell.exe',
      'cmd.exe',
      'POWERSHELL.EXE',
    ]);
    assert.deepEqual(files('FileName !in ("cmd.exe", "powershell.exe")'), ['Network.exe', 'POWERSHELL.EXE']);
    assert.deepEqual(files('FileName !in~ ("CMD.EXE", "powershell.exe")'), ['Network.exe']);
    assert.deepEqual(files('Port in (80, 443)'), ['powershell.exe', 'cmd.exe']);
  });

  it('flattens dynamic arrays and takes the first column of a tabular expression', () => {
    assert.deepEqual(
      column(
        'let names = dynamic(["cmd.exe", "Network.exe"]); Events | where FileName in (names) | project FileName',
        'FileName',
      ),
      ['cmd.exe', 'Network.exe'],
    );
    assert.deepEqual(
      column(
        'let admins = Events | where IsAdmin | project DeviceName; Events | where DeviceName in (admins) | project FileName',
        'FileName',
      ),
      ['powershell.exe', 'Network.exe', 'POWERSHELL.EXE'],
    );
    assert.deepEqual(
      column(
        'Events | where DeviceName !in ((Events | where Port == 80 | project DeviceName)) | project FileName',
        'FileName',
      ),
      ['powershell.exe', 'Network.exe', 'POWERSHELL.EXE'],
    );
  });

  it('has_any and has_all match whole terms', () => {
    assert.deepEqual(files('CommandLine has_any ("whoami", "-NoProfile")'), ['cmd.exe', 'POWERSHELL.EXE']);
    assert.deepEqual(files('CommandLine has_any ("who")'), []);
    assert.deepEqual(files('CommandLine has_all ("IEX", "DownloadString", "-enc")'), ['powershell.exe']);
    assert.deepEqual(files('CommandLine has_all ("IEX", "whoami")'), []);
    assert.deepEqual(
      column(
        'let terms = dynamic(["backup.ps1"]); Events | where CommandLine has_any (terms) | project FileName',
        'FileName',
      ),
      ['POWERSHELL.EXE'],
    );
  });
});

describe('between', () => {
  it('is inclusive on numbers and datetimes, and accepts a timespan as the upper bound', () => {
    assert.deepEqual(files('Port between (80 .. 443)'), ['powershell.exe', 'cmd.exe']);
    assert.deepEqual(files('Port !between (80 .. 443)'), ['Network.exe', 'POWERSHELL.EXE']);
    assert.deepEqual(files('Timestamp between (datetime(2026-11-13) .. datetime(2026-11-14T10:00:00Z))'), [
      'powershell.exe',
      'cmd.exe',
    ]);
    assert.deepEqual(files('Timestamp between (datetime(2026-11-13) .. 1d)'), ['cmd.exe']);
    assert.deepEqual(files('Timestamp between (ago(2d) .. now())'), ['powershell.exe', 'cmd.exe']);
  });
});

describe('arithmetic', () => {
  it('keeps long arithmetic integral and promotes to real', () => {
    assert.equal(value('7 / 2'), 3);
    assert.equal(value('-7 / 2'), -3);
    assert.equal(value('7 % 3'), 1);
    assert.equal(value('7 / 2.0'), 3.5);
    assert.equal(value('1 + 2 * 3'), 7);
    assert.equal(typeOf('int(1) + int(2)'), 'long');
    assert.equal(value('1 / 0'), null);
    assert.deepEqual(column('Events | extend kb = Bytes / 1000.0 | project kb', 'kb'), [1.2, 0.3, null, 5]);
  });

  it('rejects operators on types that do not support them', () => {
    assert.throws(() => run('print x = "a" + "b"'), {
      kind: 'semantic',
      message: /operator '\+' is not defined for the operand types string and string/,
    });
    assert.throws(() => run('Events | where Timestamp > "2020-01-01"'), {
      kind: 'semantic',
      message: /'where' operator: .*datetime and string/,
    });
  });
});

describe('scalar functions', () => {
  it('ago and now are relative to ctx.now', () => {
    assert.equal(value('now()'), '2026-11-14T12:00:00.0000000Z');
    assert.equal(value('ago(1d)'), '2026-11-13T12:00:00.0000000Z');
    assert.equal(value('ago(30m)'), '2026-11-14T11:30:00.0000000Z');
    assert.equal(value('now(-1h)'), '2026-11-14T11:00:00.0000000Z');
  });

  it('converts between types', () => {
    assert.equal(value('todatetime("2026-01-02T03:04:05Z")'), '2026-01-02T03:04:05.0000000Z');
    assert.equal(value('todatetime("not a date")'), null);
    assert.equal(value('tostring(datetime(2026-01-02))'), '2026-01-02T00:00:00Z');
    assert.equal(value('tostring(1h)'), '01:00:00');
    assert.equal(value('tostring(dynamic({"a":[1,"x"]}))'), '{"a":[1,"x"]}');
    assert.equal(value('tostring(12)'), '12');
    assert.equal(value('toint("42")'), 42);
    assert.equal(typeOf('toint("42")'), 'int');
    assert.equal(value('tolong("x")'), null);
    assert.equal(value('tolong(2.9)'), 2);
    assert.equal(value('todouble("2.5")'), 2.5);
    assert.equal(value('tobool("true")'), true);
    assert.equal(value('totimespan("01:30:00")'), '01:30:00');
  });

  it('handles strings', () => {
    assert.equal(value('tolower("AbC")'), 'abc');
    assert.equal(value('toupper("AbC")'), 'ABC');
    assert.equal(value('strcat("a", 1, "-", true)'), 'a1-true');
    assert.equal(value('strlen("héllo")'), 5);
    assert.equal(value('substring("123456", 1, 3)'), '234');
    assert.equal(value('substring("123456", 2)'), '3456');
    assert.equal(value('substring("ABCD", -2, 2)'), 'CD');
    assert.deepEqual(value('split("a,b,c", ",")'), ['a', 'b', 'c']);
    assert.deepEqual(value('split("a,b,c", ",", 1)'), ['b']);
    assert.equal(value('replace_string("a-b-c", "-", "+")'), 'a+b+c');
    assert.equal(value('indexof("hello", "l")'), 2);
    assert.equal(value(String.raw`extract(@"(\d+)\.(\d+)", 2, "v10.42")`), '42');
  });

  it('handles conditionals and emptiness', () => {
    assert.equal(value('iff(1 > 2, "a", "b")'), 'b');
    assert.equal(value('iif(true, 1, 2.5)'), 1);
    assert.equal(typeOf('iif(true, 1, 2.5)'), 'real');
    assert.equal(value('case(1 > 2, "a", 2 > 1, "b", "c")'), 'b');
    assert.equal(value('case(false, "a", "c")'), 'c');
    assert.equal(value('coalesce("", "x", "y")'), 'x');
    assert.equal(value('coalesce(long(null), 5)'), 5);
    assert.deepEqual(column('Events | project e = isempty(Bytes), n = isnotempty(CommandLine) | project e', 'e'), [
      false,
      false,
      true,
      false,
    ]);
    assert.equal(value('isempty("")'), true);
    assert.equal(value('isnull("")'), false);
    assert.equal(value('isnotnull(long(null))'), false);
    // Kusto.Language accepts branches of different types; the result is dynamic.
    assert.equal(typeOf('iff(true, "a", 1)'), 'dynamic');
    assert.equal(value('iff(false, "a", 1)'), 1);
  });

  it('bins numbers, datetimes and timespans', () => {
    assert.equal(value('bin(7, 2)'), 6);
    assert.equal(value('bin(1.7, 0.5)'), 1.5);
    assert.equal(value('bin(datetime(2026-11-14T10:47:13.5Z), 1h)'), '2026-11-14T10:00:00.0000000Z');
    assert.equal(value('bin(datetime(2026-11-14T10:47:13Z), 1d)'), '2026-11-14T00:00:00.0000000Z');
    // 7-day bins count from 0001-01-01, a Monday; 2026-11-14 is a Saturday.
    assert.equal(value('bin(datetime(2026-11-14), 7d)'), '2026-11-09T00:00:00.0000000Z');
    assert.equal(value('bin(90m, 1h)'), '01:00:00');
    assert.equal(value('startofday(datetime(2026-11-14T10:47:13Z))'), '2026-11-14T00:00:00.0000000Z');
  });

  it('reads dynamic values by member, key and index', () => {
    assert.deepEqual(column('Events | project u = Extra.user', 'u'), ['amy', 'raj', null, 'svc']);
    assert.deepEqual(column('Events | project t = Extra["tags"][0]', 't'), ['a', null, null, null]);
    assert.deepEqual(column('Events | project l = Extra.nested.level', 'l'), [2, null, null, null]);
    assert.deepEqual(column('Events | project n = array_length(Extra.tags)', 'n'), [2, 0, null, null]);
    assert.equal(value('dynamic([1,2,3])[-1]'), 3);
    assert.equal(value('parse_json("{\\"a\\":{\\"b\\":5}}").a.b'), 5);
    assert.equal(value('todynamic("[1,2]")[1]'), 2);
    assert.equal(value('parse_json("not json")'), 'not json');
    assert.deepEqual(column('Events | where tostring(Extra.user) == "raj" | project FileName', 'FileName'), [
      'cmd.exe',
    ]);
    assert.deepEqual(column('Events | where Extra.user == "raj" | project FileName', 'FileName'), ['cmd.exe']);
    assert.deepEqual(value('pack_array(1, "a")'), [1, 'a']);
    assert.deepEqual(value('bag_pack("k", 1h)'), { k: '01:00:00' });
  });
});

describe('let statements', () => {
  it('binds scalars of every literal type and expressions', () => {
    const result = run(
      'let n = 443; let s = "ws-1"; let b = true; let d = datetime(2026-11-14); let t = 1d; let e = ago(t) + 1h;\n' +
        'Events | where Port == n and DeviceName == s and IsAdmin == b and Timestamp > d and Timestamp > e | project FileName',
    );
    assert.deepEqual(result.rows, [{ FileName: 'powershell.exe' }]);
  });

  it('binds tabular expressions, used as tables and as lists', () => {
    const result = run(
      'let Admin = Events | where IsAdmin; let Recent = Admin | where Timestamp > ago(7d); Recent | count',
    );
    assert.deepEqual(result.rows, [{ Count: 1 }]);
  });

  it('resolves columns before let variables, as Kusto does', () => {
    assert.deepEqual(column('let FileName = "cmd.exe"; Events | where FileName == FileName | count', 'Count'), [4]);
  });

  it('ignores comments between and inside statements', () => {
    const query =
      '// header comment\nlet p = 443; // the port\nEvents // the table\n| where Port == p // filter\n| count';
    assert.deepEqual(run(query).rows, [{ Count: 1 }]);
  });

  it('accepts let statements produced by a client-side binder', () => {
    const query = [
      'let ip = "198.51.100.23";',
      'let since = datetime(2026-11-01T00:00:00Z);',
      'let users = dynamic(["amy.wong@contoso.com","x\\"y"]);',
      'Events | where CommandLine has ip and Timestamp >= since',
      '| extend u = users, second = tostring(users[1]), n = array_length(users)',
      '| project FileName, second, n, isAmy = tostring(users[0]) in (users)',
    ].join('\n');
    assert.deepEqual(run(query).rows, [{ FileName: 'powershell.exe', second: 'x"y', n: 2, isAmy: true }]);
  });

  it('supports toscalar() and materialize()', () => {
    assert.deepEqual(
      column(
        'let maxPort = toscalar(Events | summarize max(Port)); Events | where Port == maxPort | project FileName',
        'FileName',
      ),
      ['Network.exe'],
    );
    assert.deepEqual(column('let m = materialize(Events | where IsAdmin); m | count', 'Count'), [2]);
  });
});
