import { type Command, Option } from 'commander';
import { parseRunId, parseShard, resolveShard, type Shard } from '../fleet/shard.js';
import { integer } from './parse.js';

/** `--shard i/n` and `--shards n` (i from JOB_COMPLETION_INDEX): create, send and clean read them alike. */
export interface ShardOptionValues {
  shard?: Shard;
  shards?: number;
}

export function addShardOptions(cmd: Command, what: string): Command {
  return cmd
    .addOption(new Option('--shard <i/n>', `${what} of shard i of n only (0-based): the things whose index ≡ i mod n`).argParser((v) => parseShard(v)))
    .addOption(new Option('--shards <n>', 'as --shard i/n with i from JOB_COMPLETION_INDEX (set in the pods of a Kubernetes Indexed Job)').argParser(integer(1, 100_000)));
}

export function shardOf(o: ShardOptionValues, env: Record<string, string | undefined>): Shard | undefined {
  return resolveShard(o, env);
}

export function runIdOption(description: string): Option {
  return new Option('--run-id <id>', description).env('ELF_RUN_ID').argParser((v) => parseRunId(v));
}
