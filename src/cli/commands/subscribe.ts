import { Command } from 'commander';
import { ElfError } from '../../errors.js';

export function subscribeCommand(): Command {
  return new Command('subscribe').description('(not implemented yet)').action(() => {
    throw new ElfError('elf subscribe is not implemented yet');
  });
}
