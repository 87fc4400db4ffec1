import { Command } from 'commander';
import { ElfError, UsageError } from '../../errors.js';
import { EXIT } from '../../exit-codes.js';
import type { Shard } from '../../fleet/shard.js';
import type { RunSummary } from '../../provision/create.js';
import { DEFAULT_CONCURRENCY } from '../../provision/defaults.js';
import { provisionDisplay } from '../progress-bar.js';
import { formatSummary } from '../summary.js';
import { commandContext, type CommandContext } from '../context.js';
import { addShardOptions, runIdOption, shardOf, type ShardOptionValues } from '../shard-options.js';
import { withClient } from './rule.js';
import { addConcurrencyOption, addTargetOptions, type TargetOptionValues } from '../options.js';

interface CleanOptions extends TargetOptionValues, ShardOptionValues {
  runId?: string;
  onlyLocal?: boolean;
  sweepOrphans?: boolean;
  concurrency: number;
  pacing: boolean;
}

/** The topic rules `elf rule create` made (recorded in the state dir) go first; rules elf did not make are never touched. */
async function cleanRecordedRules(ctx: CommandContext): Promise<void> {
  const { recordedRules, cleanRules } = await import('../../provision/rules.js');
  if ((await recordedRules(ctx.stateDir)).length === 0) return;
  const r = await withClient(ctx, (client) => cleanRules(client, ctx.stateDir));
  process.stdout.write(`removed ${r.deleted} topic rules\n`);
  if (r.failed.length > 0) throw new ElfError(`${r.failed.length} topic rules could not be removed (first: ${r.failed[0]}); run \`elf clean\` again`, 'ELF_PARTIAL', r.deleted > 0 ? EXIT.partial : EXIT.failed);
}

/** `--run-id`: the run's topic rules (tagged elf_run=<id> by `elf rule create`) go first; untagged rules are never touched. */
async function cleanRunRulesOf(ctx: CommandContext, runId: string): Promise<void> {
  const { cleanRunRules } = await import('../../provision/rules.js');
  const r = await withClient(ctx, (client) => cleanRunRules(client, runId));
  if (r.denied !== undefined) ctx.log.warn(`the run's topic rules, if any, are left: ${r.denied}`);
  if (r.deleted.length > 0) process.stdout.write(`removed ${r.deleted.length} topic rules of run ${runId}: ${r.deleted.join(', ')}\n`);
  if (r.failed.length > 0) throw new ElfError(`${r.failed.length} topic rules of run ${runId} could not be removed (first: ${r.failed[0]}); run \`elf clean --run-id ${runId}\` again`, 'ELF_PARTIAL', EXIT.partial);
}

export function cleanCommand(): Command {
  const cmd = new Command('clean')
    .description('remove every recorded thing, certificate and policy from the control plane, then the local files')
    .option('--only-local', 'remove only the local files (nothing in AWS is removed)')
    .option('--force', 'alias of --only-local (as in the original ELF)')
    .option('--sweep-orphans', 'also delete unattached certificates that CreateKeysAndCertificate calls cut short by a crash may have made (always done on the local stand-in)')
    .addOption(runIdOption("remove every thing of this run (attribute elf_run), its certificates and policies, found in the control plane: no state dir needed (the region and --endpoint-url come from the flags and the environment)"));
  addShardOptions(cmd, 'clean the things');
  addTargetOptions(cmd);
  addConcurrencyOption(cmd, DEFAULT_CONCURRENCY);
  return cmd.action(async (opts: CleanOptions & { force?: boolean }) => {
    const ctx = commandContext(opts);
    const { log } = ctx;
    const ac = new AbortController();
    const onSigint = () => {
      if (ac.signal.aborted) process.exit(130);
      log.warn('interrupted: finishing the things in flight (Ctrl-C again to stop at once; run `elf clean` again to finish)');
      ac.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      const shard = shardOf(opts, ctx.env);
      if (opts.runId !== undefined) {
        if (opts.onlyLocal || opts.force) throw new UsageError('--run-id removes things from the control plane: it does not go with --only-local');
        await cleanRunRulesOf(ctx, opts.runId);
        const { runCleanRun } = await import('../../provision/clean-run.js');
        const display = provisionDisplay(process.stderr, 'cleaning', log);
        const result = await runCleanRun({ runId: opts.runId, ...(shard ? { shard } : {}), concurrency: opts.concurrency, target: ctx.target, pacing: opts.pacing }, { log, signal: ac.signal, ...displayIo(display) });
        display.report();
        process.stdout.write(`${formatSummary('removed', result).replace(/; state in -/, '')} of run ${opts.runId}${shard ? ` (shard ${shard.index}/${shard.count})` : ''}\n`);
        return partialFailure(result, `run \`elf clean --run-id ${opts.runId}\` again`);
      }
      if (shard) await checkShard(ctx, shard);
      const { cleanLocalOnly, runClean } = await import('../../provision/clean.js');
      if (opts.onlyLocal !== true && opts.force !== true) await cleanRecordedRules(ctx);
      const display = provisionDisplay(process.stderr, 'cleaning', log);
      const result =
        opts.onlyLocal === true || opts.force === true
          ? await cleanLocalOnly(ctx.stateDir)
          : await runClean({ fleet: await ctx.fleet(), target: ctx.target, sweepOrphans: opts.sweepOrphans === true, concurrency: opts.concurrency, pacing: opts.pacing }, { log, signal: ac.signal, ...displayIo(display) });
      display.report();
      if (result.kind === 'nothing') {
        process.stdout.write(`nothing to clean in ${result.stateDir}\n`);
        return;
      }
      if (result.kind === 'local-only') {
        if (result.leftInControlPlane > 0) {
          log.warn(`removed local files only: nothing was removed from ${result.where}; ${result.leftInControlPlane} things' resources remain there and elf no longer knows them`);
        }
        process.stdout.write(`removed the local files of ${result.things} things from ${result.stateDir} (nothing removed in ${result.where})\n`);
        return;
      }
      process.stdout.write(`${formatSummary('removed', result)}\n`);
      partialFailure(result, `they stay recorded in ${result.stateDir}: run \`elf clean\` again`);
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}

function displayIo(d: ReturnType<typeof provisionDisplay>) {
  return { onProgress: d.onProgress, ...(d.onThingError ? { onThingError: d.onThingError } : {}) };
}

function partialFailure(result: RunSummary, again: string): void {
  if (result.fatal) throw result.fatal;
  if (result.interrupted) throw new ElfError(`interrupted; ${again} to remove the rest`, 'ELF_INTERRUPTED', EXIT.interrupted);
  if (result.failed > 0) {
    throw new ElfError(`${result.failed} of ${result.requested} things could not be removed (first: ${result.errors[0] ?? 'see the log'}); ${again}`, 'ELF_PARTIAL', result.succeeded > 0 ? EXIT.partial : EXIT.failed);
  }
}

/** Without --run-id the state dir holds the shard's things already: --shard must agree with it. */
async function checkShard(ctx: CommandContext, shard: Shard): Promise<void> {
  const recorded = (await ctx.fleet()).state?.shard;
  if (recorded && (recorded.index !== shard.index || recorded.count !== shard.count)) {
    throw new UsageError(`--shard ${shard.index}/${shard.count}: the fleet in ${ctx.stateDir} is shard ${recorded.index}/${recorded.count}`);
  }
}
