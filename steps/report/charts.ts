/**
 * The report's charts as ECharts options, rendered server-side to SVG strings
 * (`renderer: 'svg', ssr: true`): the page embeds plain SVG and needs no script.
 */
import type { EChartsOption, LineSeriesOption } from 'echarts';
import type { Positions, TrainingCurve } from './inputs.ts';
import type { SeriesModel } from './model.ts';

export interface ChartSpec {
  option: EChartsOption;
  width: number;
  height: number;
}

export const WIDE = 960;
const CURVE_SIZE = { width: 312, height: 200 };
const POSITIONS_SIZE = { width: 234, height: 130 };
const TEXT = '#374151';
const GRID_LINE = '#e5e7eb';

type Axis = 'money' | 'percent' | 'number';

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
const AXIS_LABELS: Record<Axis, (v: number) => string> = {
  money: (v) => `$${compact.format(v)}`,
  percent: (v) => `${Math.round(v * 1000) / 10}%`,
  number: tickNumber,
};

/** Compact from 1,000 up (timesteps: 60K); below, ECharts' ticks are already rounded to their interval. */
function tickNumber(v: number): string {
  return Math.abs(v) >= 1000 ? compact.format(v) : String(v);
}

export function equityChart(series: readonly SeriesModel[]): ChartSpec {
  return timeChart(series.map((s) => line(s, s.values)), 'money', 340);
}

/** The agent's drawdown as a filled area, baselines as lines. */
export function drawdownChart(series: readonly SeriesModel[]): ChartSpec {
  return timeChart(series.map((s) => line(s, s.drawdown, s.key === 'agent')), 'percent', 260);
}

export function rollingSharpeChart(series: readonly SeriesModel[]): ChartSpec {
  return timeChart(series.map((s) => line(s, s.rollingSharpe)), 'number', 260);
}

/**
 * Shares held, one small step chart per ticker with its own scale: share counts of a
 * $30 and a $3,000 stock do not compare, and 30 tickers in one chart are unreadable.
 */
export function positionsCharts(dates: readonly string[], p: Positions): ChartSpec[] {
  return p.tickers.map((tic, i) =>
    smallChart(POSITIONS_SIZE, { type: 'time', splitNumber: 3, axisLabel: { hideOverlap: true } }, { type: 'line', name: tic, step: 'end', color: '#0f766e', areaStyle: { opacity: 0.12 }, data: points(dates, p.shares[i]!) }),
  );
}

/** One small chart per metric of the training curve, against its timestep column. */
export function curveCharts(curve: TrainingCurve): ChartSpec[] {
  return curve.metrics.map((metric) =>
    smallChart(
      CURVE_SIZE,
      { type: 'value', min: 'dataMin', max: 'dataMax', axisLabel: { formatter: AXIS_LABELS.number } },
      { type: 'line', name: metric.name, color: '#7c3aed', data: Array.from(curve.xs, (x, i) => [x, finite(metric.values[i]!)]) },
    ),
  );
}

function smallChart(size: { width: number; height: number }, xAxis: EChartsOption['xAxis'], series: LineSeriesOption): ChartSpec {
  return {
    ...size,
    option: {
      animation: false,
      useUTC: true,
      textStyle: { color: TEXT },
      grid: { left: 52, right: 14, top: 10, bottom: 26 },
      xAxis: { ...xAxis, splitLine: { show: false } } as EChartsOption['xAxis'],
      yAxis: { type: 'value', scale: true, axisLabel: { formatter: AXIS_LABELS.number }, splitNumber: 3, splitLine: { lineStyle: { color: GRID_LINE } } },
      series: [{ showSymbol: false, lineStyle: { width: 1.5 }, ...series }],
    },
  };
}

/**
 * Renders each chart to an SVG string; `renderer` names the library for the page's credits.
 * Element ids and classes are renamed per chart so that several SVGs share one page.
 */
export async function renderSvgs(specs: readonly ChartSpec[]): Promise<{ svgs: string[]; renderer: string }> {
  const echarts = await import('echarts');
  const svgs = specs.map((spec, index) => {
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: spec.width, height: spec.height });
    try {
      chart.setOption(spec.option);
      return scopeIds(chart.renderToSVGString(), `chart${index}`);
    } finally {
      chart.dispose(); // also stops zrender's animation loop, which would keep the process alive
    }
  });
  return { svgs, renderer: `Apache ECharts ${echarts.version}` };
}

/**
 * zrender names clip paths, gradients and CSS classes `zr<instance>-<kind><counter>` with
 * process-wide counters: renamed in order of appearance, they are unique in the page and
 * the same bytes for the same chart, whatever was rendered before.
 */
export function scopeIds(svg: string, prefix: string): string {
  const names = new Map<string, string>();
  return svg.replace(/\bzr\d+-(?:cls-|ani-|[cgps])\d+\b/g, (id) => {
    let name = names.get(id);
    if (name === undefined) names.set(id, (name = `${prefix}-${names.size}`));
    return name;
  });
}

function timeChart(series: LineSeriesOption[], axis: Axis, height: number): ChartSpec {
  return {
    width: WIDE,
    height,
    option: {
      animation: false,
      useUTC: true,
      textStyle: { color: TEXT },
      legend: { top: 4, left: 56, right: 16, icon: 'roundRect', itemHeight: 4 },
      grid: { left: 72, right: 20, top: 40, bottom: 32 },
      xAxis: { type: 'time', splitLine: { show: false } },
      yAxis: { type: 'value', scale: axis !== 'percent', axisLabel: { formatter: AXIS_LABELS[axis] }, splitLine: { lineStyle: { color: GRID_LINE } } },
      series,
    },
  };
}

function line(s: SeriesModel, values: ArrayLike<number>, area = false): LineSeriesOption {
  return {
    type: 'line',
    name: s.label,
    color: s.color,
    showSymbol: false,
    lineStyle: { width: s.key === 'agent' ? 2.25 : 1.5 },
    z: s.key === 'agent' ? 3 : 2,
    ...(area ? { areaStyle: { opacity: 0.18 } } : {}),
    data: points(s.dates, values),
  };
}

/** [UTC timestamp, value] pairs; a missing or infinite value is a gap (an infinity would otherwise stretch the axis). */
function points(dates: readonly string[], values: ArrayLike<number>): [number, number | null][] {
  return dates.map((d, i) => [Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10)), finite(values[i]!)]);
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
