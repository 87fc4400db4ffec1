import type { IoTClient } from '@aws-sdk/client-iot';
import { Command } from 'commander';
import { ElfError } from '../../errors.js';
import { commandContext, type CommandContext } from '../context.js';
import { addTargetOptions, type TargetOptionValues } from '../options.js';

/**
 * `elf rule create|list|show|delete|enable|disable`: AWS IoT topic rules on the target (AWS or the
 * local stand-in, which runs them into files under its state dir). Rules made here are recorded in
 * the fleet's state dir and removed by `elf clean`.
 */

interface CreateOptions extends TargetOptionValues {
  sql?: string;
  action: string[];
  errorAction?: string;
  payload?: string;
  roleArn?: string;
  description?: string;
  disabled?: boolean;
}

const collect = (v: string, all: string[]) => [...all, v];

export async function withClient<T>(ctx: CommandContext, f: (client: IoTClient, local: boolean) => Promise<T>): Promise<T> {
  const target = await ctx.target();
  const { makeIotClient } = await import('../../provision/iot.js');
  const client = makeIotClient(target);
  try {
    return await f(client, target.local);
  } catch (e) {
    if (e instanceof ElfError) throw e;
    const err = e as Error;
    throw new ElfError(`${err.name}: ${err.message.split('\n')[0]}`, 'ELF_RULE');
  } finally {
    client.destroy();
  }
}

function sub(name: string, description: string): Command {
  return addTargetOptions(new Command(name).description(description));
}

export function ruleCommand(): Command {
  const cmd = new Command('rule').description('create, list, show, delete, enable or disable AWS IoT topic rules (run by the local stand-in into files)');
  cmd.addCommand(
    sub('create', 'create a topic rule from --sql and --action specs, or from a topicRulePayload file')
      .argument('<name>', 'rule name: letters, digits and _')
      .option('--sql <sql>', "the rule's SQL (2016-03-23), e.g. \"SELECT * FROM 'elf'\"")
      .option('--action <spec>', 'an action: s3:bucket=B,key=K | firehose:stream=S,separator=\\n | kinesis:stream=S[,partitionKey=K] | republish:topic=T[,qos=1] | http:url=U[,header.NAME=V] (repeatable)', collect, [])
      .option('--error-action <spec>', 'the action run when an action fails (same form as --action)')
      .option('--payload <file>', 'a topicRulePayload JSON file (file://rule.json), as `aws iot create-topic-rule --topic-rule-payload` takes')
      .option('--role-arn <arn>', "the IAM role AWS IoT assumes for s3/firehose/kinesis/republish actions (not needed on the stand-in); with --payload it replaces the file's roleArn")
      .option('--description <text>', 'rule description')
      .option('--disabled', 'create the rule disabled')
      .action(async (name: string, opts: CreateOptions) => {
        if ((opts.payload === undefined) === (opts.sql === undefined)) throw new ElfError('give either --sql (with --action) or --payload, not both');
        if (opts.payload !== undefined && opts.action.length > 0) throw new ElfError('--action goes with --sql; a --payload file lists its own actions');
        const rules = await import('../../provision/rules.js');
        const ctx = commandContext(opts);
        await withClient(ctx, async (client, local) => {
          const file = opts.payload !== undefined ? await rules.readPayloadFile(opts.payload) : undefined;
          const payload =
            file !== undefined
              ? opts.roleArn !== undefined
                ? rules.withRoleArn(file, opts.roleArn)
                : file
              : rules.payloadFromFlags({ sql: opts.sql!, actions: opts.action, errorAction: opts.errorAction, roleArn: opts.roleArn ?? (local ? rules.LOCAL_ROLE_ARN : undefined), description: opts.description, disabled: opts.disabled });
          // the fleet's run id tags the rule for `elf clean --run-id`; no fleet (or a damaged one): no tag
          const runId = (await ctx.fleet().catch(() => undefined))?.state?.runId;
          await rules.createRule(client, ctx.stateDir, name, payload, runId);
        });
        process.stdout.write(`created rule ${name}\n`);
      }),
  );
  cmd.addCommand(
    sub('list', 'list the topic rules (name, topic, enabled)').action(async (opts: TargetOptionValues) => {
      const { listRules } = await import('../../provision/rules.js');
      const all = await withClient(commandContext(opts), (client) => listRules(client));
      for (const r of all) process.stdout.write(`${r.ruleName}\t${r.topicPattern ?? ''}\t${r.ruleDisabled ? 'disabled' : 'enabled'}\n`);
    }),
  );
  cmd.addCommand(
    sub('show', 'print a topic rule as JSON')
      .argument('<name>')
      .action(async (name: string, opts: TargetOptionValues) => {
        const { showRule } = await import('../../provision/rules.js');
        const r = await withClient(commandContext(opts), (client) => showRule(client, name));
        process.stdout.write(`${JSON.stringify({ ruleArn: r.ruleArn, rule: r.rule }, null, 2)}\n`);
      }),
  );
  cmd.addCommand(
    sub('delete', 'delete a topic rule')
      .argument('<name>')
      .action(async (name: string, opts: TargetOptionValues) => {
        const { deleteRule } = await import('../../provision/rules.js');
        const ctx = commandContext(opts);
        await withClient(ctx, (client) => deleteRule(client, ctx.stateDir, name));
        process.stdout.write(`deleted rule ${name}\n`);
      }),
  );
  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    cmd.addCommand(
      sub(verb, `${verb} a topic rule`)
        .argument('<name>')
        .action(async (name: string, opts: TargetOptionValues) => {
          const { setRuleEnabled } = await import('../../provision/rules.js');
          await withClient(commandContext(opts), (client) => setRuleEnabled(client, name, enabled));
          process.stdout.write(`${verb}d rule ${name}\n`);
        }),
    );
  }
  return cmd;
}
