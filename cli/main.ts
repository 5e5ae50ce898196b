import { rehearseCommand, REHEARSE_HELP } from './rehearse-command';
import { UsageError, type CommandContext } from './context';

export const HELP = `Usage: dms-orchestrator <command> [options]

Commands:
  rehearse      run the whole orchestrator locally against a sample database (no AWS account needed)

Run "dms-orchestrator <command> --help" for a command's options.`;

const COMMANDS: Record<string, { help: string; run(args: string[], context: CommandContext): Promise<number> }> = {
  rehearse: { help: REHEARSE_HELP, run: rehearseCommand },
};

/** Runs one command line and returns the exit status; never calls process.exit itself. */
export async function main(argv: string[], context: CommandContext): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    context.stdout.write(`${HELP}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    context.stderr.write(`Unknown command "${name}".\n\n${HELP}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    context.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(args, context);
  } catch (error) {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    context.stderr.write(`${usage ? `${(error as Error).message}\n\n${command.help}` : `Error: ${(error as Error).message}`}\n`);
    return usage ? 2 : 1;
  }
}

/** The `dms-orchestrator` executable (bin/dms-orchestrator.js). */
export function runFromProcess(): void {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, interactive: Boolean(process.stdout.isTTY) }).then(
    (status) => {
      process.exitCode = status;
    },
    (error: Error) => {
      process.stderr.write(`Error: ${error.message}\n`);
      process.exitCode = 1;
    },
  );
}
