/** Inputs to HTML: the model, its charts rendered to SVG, and the page around them. */
import { curveCharts, drawdownChart, equityChart, positionsCharts, renderSvgs, rollingSharpeChart } from './charts.ts';
import { reportModel, type ReportInputs, type ReportOptions } from './model.ts';
import { renderPage, type PageMeta } from './page.ts';

export async function renderReport(inputs: ReportInputs, options: ReportOptions, meta: Omit<PageMeta, 'renderer'>): Promise<string> {
  const model = reportModel(inputs, options);
  const positionNames = model.positions.tickers;
  const curveNames = model.curve?.metrics.map((m) => m.name) ?? [];
  const { svgs, renderer } = await renderSvgs([
    equityChart(model.series),
    drawdownChart(model.series),
    rollingSharpeChart(model.series),
    ...positionsCharts(model.series[0]!.dates, model.positions),
    ...(model.curve ? curveCharts(model.curve) : []),
  ]);
  const [equity, drawdown, rollingSharpe, ...rest] = svgs as [string, string, string, ...string[]];
  const named = (names: string[], offset: number) => names.map((name, i) => ({ name, svg: rest[offset + i]! }));
  return renderPage(
    model,
    { equity, drawdown, rollingSharpe, positions: named(positionNames, 0), curve: named(curveNames, positionNames.length) },
    { ...meta, renderer },
  );
}
