import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { writeFileAtomic } from '../util/atomic-write.js';
import { renderReportHtml, type ChartLibrary } from './html.js';
import type { ReportModel } from './model.js';

/** uPlot's browser build and style, from the installed package (inlined into every report). */
export async function chartLibrary(): Promise<ChartLibrary> {
  const require = createRequire(import.meta.url);
  const dir = require.resolve('uplot/package.json').replace(/package\.json$/, 'dist/');
  const [js, css] = await Promise.all([readFile(`${dir}uPlot.iife.min.js`, 'utf8'), readFile(`${dir}uPlot.min.css`, 'utf8')]);
  return { js, css };
}

/** Writes the report file (atomically: a reader never sees half a report). */
export async function writeReport(file: string, model: ReportModel): Promise<void> {
  await writeFileAtomic(file, renderReportHtml(model, await chartLibrary()));
}
