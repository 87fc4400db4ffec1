import { Command } from 'commander';
import { ElfError } from '../../errors.js';

export function cleanCommand(): Command {
  return new Command('clean').description('(not implemented yet)').action(() => {
    throw new ElfError('elf clean is not implemented yet');
  });
}
