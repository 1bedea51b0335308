import { convertCommand } from './convert-command.js';

/** A subcommand: takes its own argv, returns the exit code. */
export type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { run: () => Promise<Command>; summary: string }> = {
  convert: {
    run: async () => convertCommand,
    summary: 'convert a diffusers/transformers folder to TF.js layers models',
  },
};

/** Registers a subcommand (used by modules that add commands, e.g. `weights`, `generate`, `serve`). */
export function registerCommand(name: string, summary: string, run: () => Promise<Command>): void {
  COMMANDS[name] = { run, summary };
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: kandinsky <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun \`kandinsky <command> --help\` for a command's options.`;
}

/** Entry point of the `kandinsky` CLI. */
export async function main(argv: string[]): Promise<number> {
  await import('./commands.js');
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`kandinsky: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.run())(rest);
  } catch (err) {
    console.error(`kandinsky ${name}: ${(err as Error).message}`);
    return 1;
  }
}
