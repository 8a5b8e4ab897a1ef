/**
 * The stockstats indicator names we compute, parsed into specs. Kept free of numeric code
 * so validating a pipeline (`check`) loads nothing heavy.
 */
import { suggestion } from '../../../engine/sdk.ts';

/** FinRL's `config.INDICATORS`, the default feature set. */
export const FINRL_INDICATORS = ['macd', 'boll_ub', 'boll_lb', 'rsi_30', 'cci_30', 'dx_30', 'close_30_sma', 'close_60_sma'] as const;

/** FinRL's turbulence window (and the number of leading dates left at 0). */
export const FINRL_TURBULENCE_LOOKBACK = 252;

export const PRICE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;
export type PriceColumn = (typeof PRICE_COLUMNS)[number];

/** Names without a window. `dx` is stockstats' dx_14, the base of `adx`/`adxr`. */
const FIXED = ['macd', 'macds', 'macdh', 'boll', 'boll_ub', 'boll_lb', 'adx', 'adxr', 'tr'] as const;

/** `name` alone uses stockstats' default window; `name_N` sets it. */
const WINDOWED = { rsi: 14, cci: 14, dx: 14, atr: 14, wr: 14, rsv: 9, kdjk: 9, kdjd: 9, kdjj: 9, pdi: 14, ndi: 14 } as const;

/** `<column>_N_<stat>`. */
const COLUMN_STATS = ['sma', 'ema', 'smma', 'mstd', 'mvar'] as const;

export type FixedKind = (typeof FIXED)[number];
export type WindowedKind = keyof typeof WINDOWED;
export type ColumnStat = (typeof COLUMN_STATS)[number];

export type IndicatorSpec =
  | { readonly name: string; readonly kind: FixedKind }
  | { readonly name: string; readonly kind: WindowedKind; readonly window: number }
  | { readonly name: string; readonly kind: ColumnStat; readonly column: PriceColumn; readonly window: number };

const WINDOW = '([1-9][0-9]{0,4})';
const WINDOWED_RE = new RegExp(`^(${Object.keys(WINDOWED).join('|')})(?:_${WINDOW})?$`);
const COLUMN_STAT_RE = new RegExp(`^(${PRICE_COLUMNS.join('|')})_${WINDOW}_(${COLUMN_STATS.join('|')})$`);

/** The spec for a stockstats name, or undefined when we don't compute it. */
export function parseIndicator(name: string): IndicatorSpec | undefined {
  if ((FIXED as readonly string[]).includes(name)) return { name, kind: name as FixedKind };
  const windowed = WINDOWED_RE.exec(name);
  if (windowed) {
    const kind = windowed[1] as WindowedKind;
    return { name, kind, window: windowed[2] === undefined ? WINDOWED[kind] : Number(windowed[2]) };
  }
  const stat = COLUMN_STAT_RE.exec(name);
  if (stat) return { name, kind: stat[3] as ColumnStat, column: stat[1] as PriceColumn, window: Number(stat[2]) };
  return undefined;
}

/** Price columns an indicator reads (besides `amount`, which replaces the typical price when present). */
export function columnsRead(spec: IndicatorSpec): PriceColumn[] {
  switch (spec.kind) {
    case 'macd': case 'macds': case 'macdh': case 'boll': case 'boll_ub': case 'boll_lb': case 'rsi':
      return ['close'];
    case 'sma': case 'ema': case 'smma': case 'mstd': case 'mvar':
      return [spec.column];
    default:
      return ['high', 'low', 'close'];
  }
}

/** The exact message for a name we don't know, with the nearest valid name when one is close. */
export function unknownIndicatorMessage(name: string): string {
  return `unknown indicator \`${name}\`; expected a stockstats name such as rsi_N, macd, boll_ub, ...${suggestion(name, candidatesLike(name))}`;
}

/** Valid names built with the numbers the user typed, so `rsx_30` can meet `rsi_30`. */
function candidatesLike(name: string): string[] {
  const numbers = (name.match(/[0-9]+/g) ?? []).map(Number).filter((n) => n > 0).map(String);
  const windows = numbers.length > 0 ? numbers : ['14'];
  const out: string[] = [...FIXED];
  for (const family of Object.keys(WINDOWED)) {
    out.push(family);
    for (const w of windows) out.push(`${family}_${w}`);
  }
  for (const column of PRICE_COLUMNS) {
    for (const stat of COLUMN_STATS) for (const w of windows) out.push(`${column}_${w}_${stat}`);
  }
  return out;
}
