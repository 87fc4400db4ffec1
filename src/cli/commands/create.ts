import { Command, Option } from 'commander';
import { ElfError, UsageError } from '../../errors.js';
import { EXIT } from '../../exit-codes.js';
import { DEFAULT_CONCURRENCY } from '../../provision/defaults.js';
import { formatDuration, provisionDisplay } from '../progress-bar.js';
import { CREATE_CALLS, LONG_RUN_SECONDS, paceEstimate } from '../../provision/estimate.js';
import { formatSummary } from '../summary.js';
import { addShardOptions, runIdOption, shardOf, type ShardOptionValues } from '../shard-options.js';
import { integer, nonEmpty } from '../parse.js';
import { commandContext } from '../context.js';
import { addConcurrencyOption, addTargetOptions, type TargetOptionValues } from '../options.js';

interface CreateOptions extends TargetOptionValues, ShardOptionValues {
  runId?: string;
  add?: boolean;
  prefix?: string;
  topicRoot?: string;
  concurrency: number;
  pacing: boolean;
}

export function createCommand(): Command {
  const cmd = new Command('create')
    .description('provision <count> things: keys and certificate, thing, least-privilege policy; recorded in the state dir')
    .argument('[count]', 'number of things to create (1–100000)', integer(1, 100_000), 1)
    .option('--add', 'grow an existing fleet (names continue after the highest index)')
    .addOption(new Option('--prefix <prefix>', 'thing name prefix (default: thing_)').argParser(nonEmpty('--prefix')))
    .addOption(new Option('--topic-root <topic>', 'topic root the policy allows (default: elf)').argParser(nonEmpty('--topic-root')))
    .addOption(runIdOption('run id stamped on every thing as attribute elf_run (default: a fresh one, printed); `elf clean --run-id` removes the run without local state'));
  addShardOptions(cmd, 'create the things');
  addTargetOptions(cmd);
  addConcurrencyOption(cmd, DEFAULT_CONCURRENCY);
  return cmd.action(async (count: number, opts: CreateOptions) => {
    const ctx = commandContext(opts);
    const { log } = ctx;
    const shard = shardOf(opts, ctx.env);
    if (shard && opts.add) throw new UsageError('--shard makes one shard of a new fleet: it does not go with --add');
    const ac = new AbortController();
    const onSigint = () => {
      if (ac.signal.aborted) process.exit(130);
      log.warn('interrupted: finishing the things in flight (Ctrl-C again to stop at once; `elf clean` handles either)');
      ac.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      // loaded on use: the AWS SDK is heavy, and `elf --help` or `elf send` need none of it
      const { runCreate } = await import('../../provision/create.js');
      const fleet = await ctx.fleet();
      if (opts.pacing) warnIfLong(log, count, shard ? ' (all shards: the rates are per account)' : '');
      const display = provisionDisplay(process.stderr, 'creating', log);
      const summary = await runCreate(
        {
          count,
          add: opts.add === true,
          ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
          ...(opts.topicRoot !== undefined ? { topicRoot: opts.topicRoot } : {}),
          concurrency: opts.concurrency,
          fleet,
          target: ctx.target,
          pacing: opts.pacing,
          ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
          ...(shard ? { shard } : {}),
        },
        { log, signal: ac.signal, onProgress: display.onProgress, ...(display.onThingError ? { onThingError: display.onThingError } : {}) },
      );
      display.report();
      process.stdout.write(`${formatSummary('created', summary)}\n`);
      if (summary.runId) process.stdout.write(`run id ${summary.runId}${shard ? ` (shard ${shard.index}/${shard.count})` : ''}: \`elf clean --run-id ${summary.runId}\` removes the run's things without local state\n`);
      if (summary.fatal) throw summary.fatal;
      if (summary.interrupted) throw new ElfError(`interrupted after ${summary.succeeded} things; what was made is recorded in ${summary.stateDir} (\`elf clean\` removes it)`, 'ELF_INTERRUPTED', EXIT.interrupted);
      if (summary.failed > 0) {
        throw new ElfError(`${summary.failed} of ${summary.requested} things failed (first: ${summary.errors[0] ?? 'see the log'}); what was made is recorded in ${summary.stateDir}: \`elf clean\` removes it`, 'ELF_PARTIAL', summary.succeeded > 0 ? EXIT.partial : EXIT.failed);
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}

/** Up front, when the quotas make a create long: how long at least, and what to do about it. */
function warnIfLong(log: { warn(msg: string): void }, count: number, note: string): void {
  const e = paceEstimate(count, CREATE_CALLS);
  if (e.seconds <= LONG_RUN_SECONDS) return;
  log.warn(
    `creating ${count.toLocaleString('en-US')} things takes at least ${formatDuration(e.seconds)}${note}: AWS IoT allows ${e.bottleneck} ${e.perSec}/s per account and Region by default ` +
      '(https://docs.aws.amazon.com/general/latest/gr/iot-core.html#throttling-limits); raise the quota in Service Quotas, or keep the fleet and reuse it',
  );
}
