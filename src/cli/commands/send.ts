import { Command } from 'commander';
import { ElfError } from '../../errors.js';

export function sendCommand(): Command {
  return new Command('send').description('(not implemented yet)').action(() => {
    throw new ElfError('elf send is not implemented yet');
  });
}
