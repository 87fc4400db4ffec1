import { Command } from 'commander';
import { commandContext } from '../context.js';
import { addTargetOptions, type TargetOptionValues } from '../options.js';

/**
 * `elf target`: says where create/send/clean would go (AWS, the local stand-in, or another endpoint)
 * without changing anything; exits non-zero with the reason when there is no usable target.
 * `make bootstrap` uses it to decide whether to start the stand-in.
 */
export function targetCommand(): Command {
  const cmd = new Command('target').description('print where elf would provision and stream (AWS, the local stand-in, or an endpoint); changes nothing');
  addTargetOptions(cmd);
  return cmd.action(async (opts: TargetOptionValues) => {
    const target = await commandContext(opts).target();
    const kind = target.local ? 'local' : target.endpointUrl ? 'endpoint' : 'aws';
    process.stdout.write(`${kind} region=${target.region}${target.endpointUrl ? ` endpoint=${target.endpointUrl}` : ''}\n`);
  });
}
