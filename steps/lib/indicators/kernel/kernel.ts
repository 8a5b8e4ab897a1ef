/**
 * The indicator kernel (indicators-wasm.ts, built from assembly/index.ts), one instance per
 * thread (module state: each worker thread gets its own), made on first use. Its memory is an
 * arena: a call takes buffers from the bottom up with `floats`/`ints` (byte addresses), growing
 * the memory when it runs out, and the next call starts again from the bottom, so nothing builds
 * up across calls. WebAssembly memory cannot shrink: an instance whose memory grew past
 * RETAINED_BYTES is dropped when its call ends, for the garbage collector to take, and the next
 * call makes a fresh one from the compiled module. Growing replaces the memory's ArrayBuffer:
 * take views (`f64`, `i32`) only after the last allocation they must see.
 */
import { INDICATORS_WASM_BASE64 } from './indicators-wasm.ts';

export interface KernelExports {
  heapBase(): number;
  scatter(src: number, order: number, index: number, n: number, dst: number): void;
  gather(src: number, index: number, n: number, dst: number): void;
  copy(src: number, dst: number, n: number): void;
  ewmMean(x: number, out: number, n: number, com: number, minPeriods: number): void;
  rollingMean(x: number, out: number, n: number, window: number, minPeriods: number): void;
  rollingVar(x: number, out: number, n: number, window: number, minPeriods: number, ddof: number): void;
  rollingStd(x: number, out: number, n: number, window: number): void;
  rollingExtreme(x: number, out: number, n: number, window: number, sign: 1 | -1, deque: number, cap: number): void;
  ratioFilled(amount: number, volume: number, out: number, n: number): void;
  meanOfThreeFilled(close: number, high: number, low: number, out: number, n: number): void;
  directionalSystem(close: number, high: number, low: number, n: number, window: number, tr: number, atr: number, pdi: number, ndi: number, dx: number): void;
  rawStochastic(close: number, lowMin: number, highMax: number, out: number, n: number): void;
  kdSmooth(source: number, out: number, n: number): void;
  kdjLine(k: number, d: number, out: number, n: number): void;
  williams(close: number, lowMin: number, highMax: number, out: number, n: number): void;
  relativeStrength(close: number, n: number, window: number, out: number): void;
  commodityChannel(tp: number, n: number, window: number, out: number): void;
  macdLine(close: number, out: number, n: number): void;
  difference(a: number, b: number, out: number, n: number): void;
  bollingerBands(close: number, n: number, mid: number, ub: number, lb: number): void;
}

const PAGE = 65_536;
/** The memory kept between calls: 64 MiB holds a panel of about 600,000 rows with the eight FinRL indicators. */
const RETAINED_BYTES = 64 * 2 ** 20;

let compiled: WebAssembly.Module | undefined;

export class IndicatorKernel {
  readonly run: KernelExports;
  private readonly memory: WebAssembly.Memory;
  /** The bottom of the arena: the module's static data lies below. */
  readonly base: number;
  private top: number;

  /** `instantiate` gives the kernel's functions over a memory: the WebAssembly module's, or another implementation of them. */
  constructor(instantiate: (memory: WebAssembly.Memory) => KernelExports = instantiateWasm) {
    this.memory = new WebAssembly.Memory({ initial: 1 });
    this.run = instantiate(this.memory);
    this.base = Math.ceil(this.run.heapBase() / 8) * 8; // float64 views index by address / 8
    this.top = this.base;
  }

  /** The current top of the arena, to `release` back to: scratch for one ticker. */
  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }

  /** A buffer of `count` float64, 8-byte aligned: its byte address. */
  floats(count: number): number {
    return this.take(count * 8);
  }

  /** A buffer of `count` int32: its byte address (8-byte aligned too). */
  ints(count: number): number {
    return this.take(Math.ceil(count / 2) * 8);
  }

  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** The memory as float64 / int32: index = byte address / 8 or / 4. */
  get f64(): Float64Array {
    return new Float64Array(this.memory.buffer);
  }

  get i32(): Int32Array {
    return new Int32Array(this.memory.buffer);
  }

  private take(bytes: number): number {
    const at = this.top;
    this.top += bytes;
    const missing = this.top - this.memory.buffer.byteLength;
    if (missing > 0) {
      try {
        this.memory.grow(Math.ceil(missing / PAGE));
      } catch (error) {
        const mib = Math.ceil(this.top / 2 ** 20);
        throw new Error(`indicators: the panel needs ${mib} MiB of WebAssembly memory, more than it can have (at most 4 GiB): ${(error as Error).message}`);
      }
    }
    return at;
  }
}

function instantiateWasm(memory: WebAssembly.Memory): KernelExports {
  compiled ??= new WebAssembly.Module(Buffer.from(INDICATORS_WASM_BASE64, 'base64'));
  return new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as KernelExports;
}

let shared: IndicatorKernel | undefined;

/** Runs `call` with this thread's kernel, its whole arena free. */
export function withIndicatorKernel<T>(call: (kernel: IndicatorKernel) => T): T {
  const kernel = (shared ??= new IndicatorKernel());
  try {
    return call(kernel);
  } finally {
    kernel.release(kernel.base);
    if (kernel.bytes > RETAINED_BYTES) shared = undefined;
  }
}
