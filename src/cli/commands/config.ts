/** `rampart config validate|schema`: check a config file offline; print the JSON Schema of the config. */
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config/load.ts';
import { configJsonSchema } from '../../config/schema.ts';

export function register(program: Command): void {
  const config = program.command('config').description('check the config file or print its JSON Schema');
  config
    .command('validate')
    .description('validate a config file and list every problem with file:line:col')
    .argument('[file]', 'config file', 'rampart.yaml')
    .action((file: string) => {
      try {
        loadConfig(file);
        process.stdout.write(`${file}: ok\n`);
      } catch (err) {
        if (err instanceof ConfigError) {
          for (const i of err.issues) process.stderr.write(`${file}${i.line ? `:${i.line}:${i.col}` : ''}: ${i.path || '(root)'}: ${i.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
    });
  config
    .command('schema')
    .description('print the JSON Schema of the config file')
    .action(() => {
      process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
    });
}
