// Scalar functions, aggregates and typing added for hunters' queries; expected values follow the examples of the
// function pages in MicrosoftDocs/dataexplorer-docs (data-explorer/kusto/query/<name>-function.md).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maliciousIps } from '../../../sandbox/seed/entities';
import { column, run, typeOf, value } from './fixtures';

describe('IP functions', () => {
  it('test ranges, privacy, comparisons and conversions', () => {
    assert.equal(value('ipv4_is_in_range("192.168.1.6", "192.168.1.1/24")'), true);
    assert.equal(value('ipv4_is_in_range("192.168.2.6", "192.168.1.1/24")'), false);
    assert.equal(value('ipv4_is_in_any_range("10.1.2.3", dynamic(["192.168.0.0/16", "10.0.0.0/8"]))'), true);
    assert.equal(value('ipv4_is_private("10.1.2.3")'), true);
    assert.equal(value('ipv4_is_private("8.8.8.8")'), false);
    assert.equal(value('ipv4_is_private("not an ip")'), null);
    assert.equal(value('ipv4_compare("192.168.1.1", "192.168.1.255", 24)'), 0);
    assert.equal(value('ipv4_compare("192.168.1.1", "192.168.1.255")'), -1);
    assert.equal(value('ipv4_is_match("192.168.1.1/24", "192.168.1.255/24")'), true);
    assert.equal(value('parse_ipv4("127.0.0.1")'), 2130706433);
    assert.equal(value('format_ipv4(2130706433)'), '127.0.0.1');
    assert.equal(value('format_ipv4_mask("192.168.1.255", 24)'), '192.168.1.0/24');
    assert.equal(value('ipv6_compare("::ffff:7f00:1", "127.0.0.1")'), 0);
    assert.equal(value('ipv6_is_match("fe80::85d:e82c:9446:7994", "fe80::85d:e82c:9446:7995", 127)'), true);
    assert.equal(value('parse_ipv6("fe80::85d:e82c:9446:7994")'), 'fe80:0000:0000:0000:085d:e82c:9446:7994');
    assert.equal(value('has_ipv4("connect 10.0.0.1 ok", "10.0.0.1")'), true);
    assert.equal(value('has_ipv4("connect 10.0.0.12 ok", "10.0.0.1")'), false);
    assert.equal(value('has_any_ipv4_prefix("from 192.168.4.1", dynamic(["10.", "192.168."]))'), true);
  });

  it('geo_info_from_ip_address answers offline: the attack addresses where the seed puts them, nothing for private', () => {
    assert.equal(value(`geo_info_from_ip_address("${maliciousIps[0]}").country`), 'Netherlands');
    assert.deepEqual(value('geo_info_from_ip_address("10.0.0.5")'), {});
    const geo = value('geo_info_from_ip_address("20.53.203.50")') as Record<string, unknown>;
    assert.deepEqual(Object.keys(geo), ['country', 'state', 'city', 'latitude', 'longitude']);
  });
});

describe('JSON and strings', () => {
  it('reads parse_json paths and extractjson JSONPath', () => {
    assert.equal(value('parse_json(\'{"a":{"b":[1,2]}}\').a.b[1]'), 2);
    assert.equal(value('parse_json(\'{"a":{"b":[1,2]}}\')["a"]["b"][0]'), 1);
    assert.equal(value('extractjson("$.a.b[0]", \'{"a":{"b":[5]}}\')'), '5');
    assert.equal(value('extractjson("$.a", \'{"a":7}\', typeof(long))'), 7);
    assert.equal(typeOf('extractjson("$.a", \'{"a":7}\', typeof(long))'), 'long');
  });

  it('extracts, replaces, trims and parses', () => {
    assert.deepEqual(value('extract_all(@"(\\d+)", "a1b22c333")'), ['1', '22', '333']);
    assert.equal(value('extract("x=(\\\\d+)", 1, "x=42", typeof(long))'), 42);
    assert.equal(value('replace_regex("a1b2", @"(\\d)", @"<\\1>")'), 'a<1>b<2>');
    assert.equal(value('trim(@"\\s+", "  hi  ")'), 'hi');
    assert.equal(value('countof("aaa", "a")'), 3);
    assert.equal(
      (value('parse_url("https://h.example:8080/p?x=1#f")') as Record<string, unknown>)['Host'],
      'h.example',
    );
    assert.equal((value('parse_path(@"C:\\Windows\\cmd.exe")') as Record<string, unknown>)['Filename'], 'cmd.exe');
    assert.deepEqual(value('parse_command_line(@"cmd.exe /c ""a b""", "windows")'), ['cmd.exe', '/c', 'a b']);
    assert.equal(value('base64_decode_tostring("SGVsbG8=")'), 'Hello');
    assert.equal(value('tolower(5)'), '5'); // Kusto.Language accepts a number where text is expected
  });
});

describe('dates, numbers, arrays', () => {
  it('compute parts, boundaries and differences', () => {
    assert.equal(value('datetime_diff("day", datetime(2017-10-30 23:00), datetime(2017-10-29))'), 1);
    assert.equal(value('datetime_diff("month", datetime(2017-01-01), datetime(2016-12-31))'), 1);
    assert.equal(value('datetime_add("month", 1, datetime(2017-01-31))'), '2017-02-28T00:00:00.0000000Z');
    assert.equal(value('startofweek(datetime(2017-01-04))'), '2017-01-01T00:00:00.0000000Z');
    assert.equal(value('endofday(datetime(2017-01-04 10:00))'), '2017-01-04T23:59:59.9999999Z');
    assert.equal(value('dayofweek(datetime(2015-12-14))'), '1.00:00:00');
    assert.equal(value('hourofday(datetime(2015-12-14 18:54))'), 18);
    assert.equal(value('format_datetime(datetime(2017-01-29 09:00:05), "yy-MM-dd [HH:mm:ss]")'), '17-01-29 [09:00:05]');
    assert.equal(value('unixtime_seconds_todatetime(1546300800)'), '2019-01-01T00:00:00.0000000Z');
  });

  it('round, min/max of, sets and bags', () => {
    assert.equal(value('round(2.345, 2)'), 2.35);
    assert.equal(value('max_of(1, 5, 3)'), 5);
    assert.deepEqual(value('set_difference(dynamic([1,2,3]), dynamic([2]))'), [1, 3]);
    assert.deepEqual(value('set_union(dynamic([1,2]), dynamic([2,3]))'), [1, 2, 3]);
    assert.equal(value('array_index_of(dynamic(["a","b"]), "b")'), 1);
    assert.deepEqual(value('bag_keys(dynamic({"a":1,"b":2}))'), ['a', 'b']);
    assert.equal(value('gettype(dynamic([]))'), 'array');
    assert.deepEqual(column('Events | take 1 | project b = pack_all() | project k = bag_keys(b)', 'k')[0], [
      'Timestamp',
      'DeviceName',
      'FileName',
      'CommandLine',
      'Port',
      'Bytes',
      'Score',
      'IsAdmin',
      'Extra',
      'Elapsed',
    ]);
    assert.deepEqual(column('Events | take 1 | project x = column_ifexists("Nope", "fallback")', 'x'), ['fallback']);
  });
});

describe('typing as Kusto applies it', () => {
  it('compares across types with == (RemotePort == "443"), rejects string operators on numbers', () => {
    assert.deepEqual(column('Events | where Port == "443" | project DeviceName', 'DeviceName'), ['ws-1']);
    assert.deepEqual(column('Events | where Port != "443" and Port == "80" | project DeviceName', 'DeviceName'), [
      'ws-2',
    ]);
    assert.throws(() => run('Events | where Port has "44"'), {
      kind: 'semantic',
      message: "'where' operator: The operator 'has' is not defined for the operand types int and string.",
    });
    assert.throws(() => run('Events | where Timestamp > "2026-01-01"'), { kind: 'semantic' });
  });

  it("reports Kusto.Language's error when the sandbox would be more lenient", () => {
    assert.throws(() => run('print x = strlen(5)'), { kind: 'semantic' });
  });

  it('honours inline regex flags', () => {
    assert.deepEqual(
      column('Events | where CommandLine matches regex "(?i)NETWORK\\\\.exe" | project FileName', 'FileName'),
      ['Network.exe'],
    );
  });
});

describe('aggregates', () => {
  it('name arg_max results, wrap aggregates in scalars, and compute percentiles', () => {
    const named = run(
      'Events | summarize (When, File) = arg_max(Timestamp, FileName) by DeviceName | order by DeviceName asc',
    );
    assert.deepEqual(
      named.columns.map((c) => c.name),
      ['DeviceName', 'When', 'File'],
    );
    const latest = run('Events | summarize Latest = arg_max(Timestamp, *) by DeviceName');
    assert.equal(latest.columns[1]?.name, 'Latest');
    assert.ok(latest.columns.some((c) => c.name === 'FileName'));
    const wrapped = run(
      'Events | summarize devices = tostring(make_set(DeviceName)), pct = round(100.0 * countif(IsAdmin) / count(), 1)',
    );
    assert.equal(wrapped.rows[0]?.['pct'], 50);
    assert.equal(typeof wrapped.rows[0]?.['devices'], 'string');
    assert.deepEqual(column('Events | summarize dcount(DeviceName) * 2', 'Column1'), [6]);
    const p = run('Events | summarize percentiles(Bytes, 50, 100)').rows[0];
    assert.deepEqual(p, { percentile_Bytes_50: 1200, percentile_Bytes_100: 5000 });
  });
});
