/** Metric histories as line charts: Apache ECharts, as the report plugin uses, SVG-rendered. */
import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, DataZoomComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import { h } from './dom.ts';

const COMPACT = new Intl.NumberFormat('en', { notation: 'compact', maximumSignificantDigits: 3 });
/** Axis numbers that fit a small chart: 4,096 -> 4.1K; small values keep their digits. */
const compact = (v: number) => (Math.abs(v) >= 1000 ? COMPACT.format(v) : String(Number(v.toPrecision(3))));

echarts.use([LineChart, GridComponent, TooltipComponent, DataZoomComponent, SVGRenderer]);

/** A figure holding one metric's chart; call the returned dispose when the panel closes. */
export function metricChart(key: string, points: { step: number; value: number }[]): { figure: HTMLElement; dispose(): void } {
  const box = h('div', { class: 'chart', role: 'img', 'aria-label': `${key}: ${points.length} points, last ${points.at(-1)?.value ?? 'none'}` });
  const figure = h('figure', { class: 'metric', 'data-metric': key }, h('figcaption', {}, key), box);
  const sorted = [...points].sort((a, b) => a.step - b.step);
  let chart: echarts.ECharts | undefined;
  // Drawn once laid out: ECharts needs the box's size.
  requestAnimationFrame(() => {
    if (!box.isConnected) return;
    chart = echarts.init(box, null, { renderer: 'svg' });
    chart.setOption({
      animation: false,
      grid: { left: 56, right: 12, top: 10, bottom: 28 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'value', name: 'step', nameLocation: 'middle', nameGap: 20, scale: true, axisLabel: { formatter: compact, hideOverlap: true } },
      yAxis: { type: 'value', scale: true, axisLabel: { formatter: compact, hideOverlap: true } },
      series: [{ type: 'line', name: key, showSymbol: sorted.length < 40, data: sorted.map((p) => [p.step, p.value]) }],
    });
  });
  return { figure, dispose: () => chart?.dispose() };
}
