import { Command } from 'commander';
import { ElfError } from '../../errors.js';

export function createCommand(): Command {
  return new Command('create').description('(not implemented yet)').action(() => {
    throw new ElfError('elf create is not implemented yet');
  });
}
