import { Command, Option } from 'commander';
import { NO_LOSS, outcome, parseMaxFailed, type MaxFailed } from '../send-outcome.js';
import { UsageError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { addReportOption, checkReportPath, writeRunReport } from '../report-options.js';

/** `elf report merge shard-*.json`: one fleet summary from the JSON summaries of its shards. */
export function reportCommand(): Command {
  const report = new Command('report').description('summaries of runs');
  const merge = new Command('merge')
    .description('merge the JSON summaries of `elf send --json` (one per shard or machine) into the summary of the whole fleet: counts and per-thing rows added up, latency percentiles from the merged histograms')
    .argument('<files...>', 'summaries written by `elf send --json`')
    .option('--json', 'print the merged summary as JSON')
    .addOption(new Option('--max-failed <n|p%>', 'as for `elf send`: the loss (messages, and things that never connected) that still exits 0').argParser(parseMaxFailed))
    .action(async (files: string[], opts: { json?: boolean; maxFailed?: MaxFailed; report?: string }) => {
      await checkReportPath(opts.report);
      const { readSummaryFile } = await import('../../publish/summary-file.js');
      const { mergeSummaries } = await import('../../publish/merge.js');
      const { renderJson, renderText } = await import('../../publish/summary.js');
      const parts = [];
      for (const f of files) parts.push(await readSummaryFile(f));
      const first = parts[0]!;
      const other = parts.find((p) => p.qos !== first.qos || p.protocol !== first.protocol);
      if (other) throw new UsageError(`the summaries are of different runs: MQTT ${first.protocol} QoS ${first.qos} and MQTT ${other.protocol} QoS ${other.qos}`);
      const names = new Set<string>();
      for (const [i, p] of parts.entries()) {
        for (const t of p.perThing) {
          if (names.has(t.name)) throw new UsageError(`${files[i]}: thing ${t.name} is in another summary too (each shard's summary once)`);
          names.add(t.name);
        }
      }
      const merged = mergeSummaries({ parts, order: 'name' });
      process.stdout.write(opts.json ? renderJson(merged) : renderText(merged));
      if (opts.report) {
        const { sendReportModel } = await import('../../report/model.js');
        // the summaries do not say whether the run was paced: on-time shares are shown when some publish was late
        const paced = merged.totals.late > 0;
        const model = sendReportModel({ summary: merged, params: [['merged from', files.map((f) => f.split('/').pop()).join(', ')]], target: `${files.length} summaries`, intervalSeconds: paced ? 1 : 0 });
        const failed = await writeRunReport(opts.report, model, createLogger());
        if (failed) throw failed;
      }
      const why = outcome(merged, opts.maxFailed ?? NO_LOSS);
      if (why) throw why;
    });
  addReportOption(merge, "the merged run's report (the per-second series of summaries written with --report, merged second by second)");
  report.addCommand(merge);
  return report;
}
