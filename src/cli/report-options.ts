import { access } from 'node:fs/promises';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ReportModel } from '../report/model.js';
import { nonEmpty } from './parse.js';

/** `--report <file.html>`: send, subscribe and report merge take it alike. */
export interface ReportOptionValues {
  report?: string;
}

export function addReportOption(cmd: Command, what: string): Command {
  return cmd.addOption(
    new Option('--report <file.html>', `after the run, write ${what} to this file: one self-contained HTML page with its charts (opens offline); it is written whatever the exit code`).argParser(nonEmpty('--report')),
  );
}

/** The report's folder must exist before the run starts (not discovered after a long run). */
export async function checkReportPath(file: string | undefined): Promise<void> {
  if (file === undefined) return;
  const dir = path.dirname(path.resolve(file));
  await access(dir).catch(() => {
    throw new UsageError(`--report ${file}: the folder ${dir} does not exist`);
  });
}

/** Writes the report; a failure is logged and returned (the run's summary is already out). */
export async function writeRunReport(file: string, model: ReportModel, log: Logger): Promise<Error | undefined> {
  const { writeReport } = await import('../report/write-report.js');
  try {
    await writeReport(file, model);
    log.info({ report: file }, `run report written to ${file}`);
    return undefined;
  } catch (e) {
    return new UsageError(`--report ${file}: could not write it (${(e as Error).message})`);
  }
}
