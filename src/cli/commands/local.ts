import { Command } from 'commander';
import { ElfError } from '../../errors.js';

export function localCommand(): Command {
  return new Command('local').description('(not implemented yet)').action(() => {
    throw new ElfError('elf local is not implemented yet');
  });
}
