// Numeric functions (data-explorer/kusto/query/*-function.md): rounding, logs and powers, min_of/max_of, bitwise
// operations, rand.
import { arg, commonType, realArg, type ScalarFunction } from './functionHelpers';
import { coerce, compareNonNull, isNullValue, toLong, toReal, type Row } from './values';

function realFunction(fn: string, f: (x: number) => number): ScalarFunction {
  return {
    minArgs: 1,
    maxArgs: 1,
    compile: (args, fx) => {
      const x = realArg(fx, fn, arg(args, 0), 0);
      return {
        type: 'real',
        ev: (row) => {
          const v = x(row);
          return v === null ? null : f(v);
        },
      };
    },
  };
}

/** A test of one argument as a real (null when it is null or not a number). */
function realTest(f: (v: number | null) => boolean | null): ScalarFunction {
  return {
    minArgs: 1,
    maxArgs: 1,
    compile: (args) => {
      const a = arg(args, 0);
      return { type: 'bool', ev: (row) => f(toReal(a.ev(row), a.type)) };
    },
  };
}

function bitwise(f: (a: bigint, b: bigint) => bigint): ScalarFunction {
  return {
    minArgs: 2,
    maxArgs: 2,
    compile: (args) => {
      const [a, b] = args.map((c) => {
        const ev = c.ev;
        const t = c.type;
        return (row: Row) => toLong(ev(row), t);
      }) as [(r: Row) => number | null, (r: Row) => number | null];
      return {
        type: 'long',
        ev: (row) => {
          const x = a(row);
          const y = b(row);
          return x === null || y === null ? null : Number(BigInt.asIntN(64, f(BigInt(x), BigInt(y))));
        },
      };
    },
  };
}

function extremeOf(fn: string, sign: 1 | -1): ScalarFunction {
  return {
    minArgs: 1,
    maxArgs: 64,
    compile: (args, fx) => {
      const type = commonType(args.map((a) => a.type));
      if (!type) return fx.fail(`${fn}(): the arguments must have one type`);
      const evs = args.map((a) => {
        const ev = a.ev;
        const t = a.type;
        return (row: Row) => coerce(ev(row), t, type);
      });
      return {
        type,
        ev: (row) => {
          let best: unknown = null;
          for (const ev of evs) {
            const v = ev(row);
            if (isNullValue(v, type)) continue;
            if (best === null || sign * compareNonNull(v, best, type) > 0) best = v;
          }
          return best;
        },
      };
    },
  };
}

export const MATH_FUNCTIONS: Record<string, ScalarFunction> = {
  abs: {
    minArgs: 1,
    maxArgs: 1,
    compile: (args, fx) => {
      const a = arg(args, 0);
      const x = realArg(fx, 'abs', a, 0);
      return {
        type: a.type === 'dynamic' ? 'real' : a.type,
        ev: (row) => {
          const v = x(row);
          return v === null ? null : Math.abs(v);
        },
      };
    },
  },
  round: {
    minArgs: 1,
    maxArgs: 2,
    compile: (args, fx) => {
      const a = arg(args, 0);
      const x = realArg(fx, 'round', a, 0);
      const digits = args[1] ? realArg(fx, 'round', args[1], 1) : () => 0;
      return {
        type: a.type === 'int' || a.type === 'long' ? a.type : 'real',
        ev: (row) => {
          const v = x(row);
          const d = digits(row) ?? 0;
          if (v === null) return null;
          const f = 10 ** d;
          return (Math.sign(v) * Math.round(Math.abs(v) * f)) / f;
        },
      };
    },
  },
  ceiling: realFunction('ceiling', Math.ceil),
  sqrt: realFunction('sqrt', Math.sqrt),
  exp: realFunction('exp', Math.exp),
  exp2: realFunction('exp2', (x) => 2 ** x),
  exp10: realFunction('exp10', (x) => 10 ** x),
  log: realFunction('log', Math.log),
  log2: realFunction('log2', Math.log2),
  log10: realFunction('log10', Math.log10),
  sign: realFunction('sign', Math.sign),
  sin: realFunction('sin', Math.sin),
  cos: realFunction('cos', Math.cos),
  tan: realFunction('tan', Math.tan),
  atan: realFunction('atan', Math.atan),
  pow: {
    minArgs: 2,
    maxArgs: 2,
    compile: (args, fx) => {
      const a = realArg(fx, 'pow', arg(args, 0), 0);
      const b = realArg(fx, 'pow', arg(args, 1), 1);
      return {
        type: 'real',
        ev: (row) => {
          const x = a(row);
          const y = b(row);
          return x === null || y === null ? null : x ** y;
        },
      };
    },
  },
  pi: { minArgs: 0, maxArgs: 0, compile: () => ({ type: 'real', ev: () => Math.PI, constant: true }) },
  max_of: extremeOf('max_of', 1),
  min_of: extremeOf('min_of', -1),
  isnan: realTest((v) => Number.isNaN(v)),
  isinf: realTest((v) => v === Infinity || v === -Infinity),
  isfinite: realTest((v) => (v === null ? null : Number.isFinite(v))),
  rand: {
    minArgs: 0,
    maxArgs: 1,
    compile: (args, fx) => {
      const n = args[0] ? realArg(fx, 'rand', args[0], 0) : null;
      return {
        type: n ? 'long' : 'real',
        ev: (row) => {
          if (!n) return Math.random();
          const limit = n(row);
          return limit === null ? null : Math.floor(Math.random() * limit);
        },
      };
    },
  },
  binary_and: bitwise((a, b) => a & b),
  binary_or: bitwise((a, b) => a | b),
  binary_xor: bitwise((a, b) => a ^ b),
  binary_shift_left: bitwise((a, b) => a << b),
  binary_shift_right: bitwise((a, b) => a >> b),
  binary_not: {
    minArgs: 1,
    maxArgs: 1,
    compile: (args) => {
      const a = arg(args, 0);
      return {
        type: 'long',
        ev: (row) => {
          const v = toLong(a.ev(row), a.type);
          return v === null ? null : Number(BigInt.asIntN(64, ~BigInt(v)));
        },
      };
    },
  },
};
