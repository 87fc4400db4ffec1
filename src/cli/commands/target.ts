import path from 'node:path';
import { Command } from 'commander';
import { createLogger } from '../../log.js';
import { loadFleet } from '../../fleet/store.js';
import { resolveTarget } from '../../target.js';
import { addTargetOptions, prepareEnvironment, targetFlags, type TargetOptionValues } from '../options.js';

/**
 * `elf target`: says where create/send/clean would go (AWS, the local stand-in, or another endpoint)
 * without changing anything; exits non-zero with the reason when there is no usable target.
 * `make bootstrap` uses it to decide whether to start the stand-in.
 */
export function targetCommand(): Command {
  const cmd = new Command('target').description('print where elf would provision and stream (AWS, the local stand-in, or an endpoint); changes nothing');
  addTargetOptions(cmd);
  return cmd.action(async (opts: TargetOptionValues) => {
    const env = prepareEnvironment();
    const log = createLogger();
    const fleet = await loadFleet(opts.stateDir);
    const target = await resolveTarget(
      { flags: targetFlags(opts), env, ...(fleet ? { recorded: fleet.target, recordedFrom: path.join(opts.stateDir, 'things.json') } : {}) },
      { notify: (level, message) => log[level](message) },
    );
    const kind = target.local ? 'local' : target.endpointUrl ? 'endpoint' : 'aws';
    process.stdout.write(`${kind} region=${target.region}${target.endpointUrl ? ` endpoint=${target.endpointUrl}` : ''}\n`);
  });
}
