// A hunting response read as it arrives: the body's chunks go through stream-json's tokenizer into its Assembler, so
// rows become objects while the body is still coming in and the body is never held as one string beside its parsed
// copy (a 100,000-row result, Defender's maximum, is about 40 MB of JSON). The tokenizer is driven synchronously,
// chunk by chunk: stream-json's own stream and async-generator wrappers cost an await per token, 3-4 times the
// parse itself at this size.
import { StringDecoder } from 'node:string_decoder';
import type AssemblerClass from 'stream-json/core/assembler.js' with { 'resolution-mode': 'import' };
import type { parser } from 'stream-json/core/parser.js' with { 'resolution-mode': 'import' };
import { AppError } from '../errors';
import { mapHuntingResult } from './mapIncident';
import type { HuntingResult } from './types';

type Token = parser.Token;
/** The tokenizer as its types describe it (TokenSource): text in, a `Many` of tokens or `none` out. */
type Tokenizer = (input: string | symbol) => { values: Token[] } | symbol;

type StreamJson = {
  jsonParser: (options: parser.ParserOptions) => Tokenizer;
  Assembler: typeof AssemblerClass;
};

// stream-json is an ES module; this app is CommonJS, so it is loaded on first use (which also keeps it off the cold
// start of functions that never hunt).
let streamJson: Promise<StreamJson> | undefined;
function loadStreamJson(): Promise<StreamJson> {
  streamJson ??= Promise.all([import('stream-json/core/parser.js'), import('stream-json/core/assembler.js')]).then(
    ([p, a]) => ({ jsonParser: p.jsonParser as unknown as StreamJson['jsonParser'], Assembler: a.default }),
  );
  return streamJson;
}

/**
 * The tokenizer's end-of-input mark: stream-chain's `none`, a registered symbol by design so that libraries agree on
 * it without importing each other (stream-chain src/defs.js). stream-chain is stream-json's dependency, not ours.
 */
const END_OF_INPUT = Symbol.for('object-stream.none');

/** Strings this long or longer come out of the tokenizer as V8 slices of the chunk text they were read from. */
const SLICE_MIN_LENGTH = 13;
/** Values up to this length are looked up in the repeat cache; longer ones (command lines) rarely repeat. */
const INTERN_MAX_LENGTH = 256;
/** Slots in the repeat cache (a power of two). */
const CACHE_SLOTS = 8192;

/**
 * Keeps one copy of a value that repeats. Hunting rows repeat most of their values (device, account and file names,
 * hashes), and JSON.parse would hold a copy per row: here a 100,000-row result takes a third of the memory.
 * The cache is direct-mapped on a hash of the length and a few characters: a lookup is a few reads and one
 * comparison (a Map lookup per value cost two thirds as much as the tokenizer), and values that collide just replace
 * each other.
 * Every value handed out is a flat copy: a V8 slice of the chunk text would keep that whole chunk alive, and with a
 * slice per chunk the whole body would stay in memory.
 */
function createValueStore(): (value: string) => string {
  const slots: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS).fill(undefined);
  // Concatenation then slice makes V8 copy the characters into a new string the result points to instead.
  const copy = (s: string): string => (s.length >= SLICE_MIN_LENGTH ? (' ' + s).slice(1) : s);
  return (value) => {
    const n = value.length;
    if (n === 0 || n > INTERN_MAX_LENGTH) return copy(value);
    const slot =
      (n * 31 +
        value.charCodeAt(0) * 7 +
        value.charCodeAt(n >> 2) * 17 +
        value.charCodeAt(n >> 1) * 131 +
        value.charCodeAt(n - 1) * 1031) &
      (CACHE_SLOTS - 1);
    const known = slots[slot];
    if (known === value) return known;
    const own = copy(value);
    slots[slot] = own;
    return own;
  };
}

/** A body that ended, or went on, where JSON does not: a clear error, never a hang or a partial result. */
function invalidBody(detail: string, bytes: number, cause?: unknown): AppError {
  return new AppError(
    'DEFENDER_HTTP',
    `The hunting API returned a body that is not valid JSON (${detail}, after ${bytes} bytes)`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * Parses a hunting response body (Graph or legacy) from its chunks and normalises it like mapHuntingResult, rows in
 * place.
 * @throws {AppError} DEFENDER_HTTP when the body is not JSON, ends early, or is not a hunting result.
 * @throws whatever the chunk source throws (a connection cut mid-body): the HTTP layer treats that as a network
 *   failure and retries the call.
 */
export async function readHuntingResult(chunks: AsyncIterable<Buffer | string>): Promise<HuntingResult> {
  const { jsonParser, Assembler } = await loadStreamJson();
  const store = createValueStore();
  class ValueAssembler extends Assembler {
    override stringValue(value: string): void {
      super.stringValue(store(value));
    }
  }
  const asm = new ValueAssembler();
  // Packed values only: one token per key, string and number instead of start/chunk/end tokens.
  const tokenize = jsonParser({ streamValues: false });
  const decoder = new StringDecoder('utf8');
  let bytes = 0;
  let first = true;
  const feed = (text: string | symbol): void => {
    let out: ReturnType<Tokenizer>;
    try {
      out = tokenize(text);
    } catch (e) {
      const reason = (e as Error).message;
      throw invalidBody(text === END_OF_INPUT ? `it ends before the JSON does: ${reason}` : reason, bytes, e);
    }
    if (typeof out === 'symbol') return;
    // The Assembler's own handlers, called directly: its consume() looks each one up by the token's name, which
    // costs a tenth of the parse over 2.6 million tokens.
    for (const t of out.values) {
      switch (t.name) {
        case 'keyValue':
          asm.keyValue(t.value);
          break;
        case 'stringValue':
          asm.stringValue(t.value);
          break;
        case 'numberValue':
          asm.numberValue(t.value);
          break;
        case 'startObject':
          asm.startObject();
          break;
        case 'endObject':
          asm.endObject();
          break;
        case 'startArray':
          asm.startArray();
          break;
        case 'endArray':
          asm.endArray();
          break;
        case 'nullValue':
          asm.nullValue();
          break;
        case 'trueValue':
          asm.trueValue();
          break;
        case 'falseValue':
          asm.falseValue();
          break;
        default:
          // Streamed pieces (not asked for) and whitespace carry nothing the Assembler keeps.
          break;
      }
    }
  };
  for await (const chunk of chunks) {
    bytes += chunk.length;
    let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    // A byte-order mark is not JSON; axios drops it from buffered bodies too.
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    if (text) feed(text);
  }
  const rest = decoder.end();
  if (rest) feed(rest);
  feed(END_OF_INPUT);
  // The tokenizer refuses an unfinished document when flushed; this guards against it ever not doing so.
  if (!asm.done) throw invalidBody('it ends before the JSON does', bytes);
  return mapHuntingResult(asm.current);
}
