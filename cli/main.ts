import { UsageError, type CommandContext } from './context';

export const HELP = `Usage: dms-orchestrator <command> [options]

Commands:
  start         validate a migration input and start an execution of the deployed state machine
  status        show an execution's step and the DMS task's progress, refreshed
  approve       approve a pending cutover
  reject        reject a pending cutover
  rehearse      run the whole orchestrator locally against a sample database (no AWS account needed)

AWS credentials and region come from the usual places (environment, profile); ARNs carry their region.

Run "dms-orchestrator <command> --help" for a command's options.`;

interface Command {
  help: string;
  run(args: string[], context: CommandContext): Promise<number>;
}

/**
 * Each command's module loads only when it runs: `--help` stays instant, and the rehearsal's functions read
 * their environment only after the rehearsal has pointed it at the emulator.
 */
const COMMANDS: Record<string, () => Command> = {
  start: () => {
    const { START_HELP, startCommand } = require('./start-command') as typeof import('./start-command');
    return { help: START_HELP, run: startCommand };
  },
  status: () => {
    const { STATUS_HELP, statusCommand } = require('./status-command') as typeof import('./status-command');
    return { help: STATUS_HELP, run: (args, context) => statusCommand(args, context) };
  },
  approve: () => {
    const { APPROVE_HELP, approvalCommand } = require('./approval-commands') as typeof import('./approval-commands');
    return { help: APPROVE_HELP, run: approvalCommand('approve') };
  },
  reject: () => {
    const { REJECT_HELP, approvalCommand } = require('./approval-commands') as typeof import('./approval-commands');
    return { help: REJECT_HELP, run: approvalCommand('reject') };
  },
  rehearse: () => {
    const { REHEARSE_HELP, rehearseCommand } = require('./rehearse-command') as typeof import('./rehearse-command');
    return { help: REHEARSE_HELP, run: rehearseCommand };
  },
};

/** Runs one command line and returns the exit status; never calls process.exit itself. */
export async function main(argv: string[], context: CommandContext): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    context.stdout.write(`${HELP}\n`);
    return name ? 0 : 2;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name]() : undefined;
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
    // AWS errors keep their name (StateMachineDoesNotExist, AccessDeniedException...): it says what to fix.
    const { name, message } = error as Error;
    context.stderr.write(`${usage ? `${message}\n\n${command.help}` : `Error: ${name && name !== 'Error' ? `${name}: ` : ''}${message}`}\n`);
    return usage ? 2 : 1;
  }
}

/** The `dms-orchestrator` executable (bin/dms-orchestrator.js). */
export function runFromProcess(): void {
  // The functions' cores log through Powertools, whose info lines go to stdout, where a command prints its
  // result (`approve --json` is read by scripts). At WARN, only warnings and errors are logged, and Node's
  // console writes those to stderr; the command says what it did itself. Set before any command loads.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, interactive: Boolean(process.stdout.isTTY), canPrompt: Boolean(process.stdin.isTTY) }).then(
    (status) => {
      process.exitCode = status;
    },
    (error: Error) => {
      process.stderr.write(`Error: ${error.message}\n`);
      process.exitCode = 1;
    },
  );
}
