import { createInterface, type Interface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { describeDecision } from '../../cli/approval-commands';
import { decideApproval } from '../../functions/approval-page/decide';
import { serveHttpApi, type HttpApiHandler, type LocalHttpApi } from '../api-gateway-adapter';
import { CLIENT_ENVIRONMENT_IN_SHELL } from './second-terminal';

/**
 * Where the rehearsal's cutover approval is decided. The real approval page (functions/approval-page) is
 * served on a local port, and the approval e-mail links to it. `--auto-approve` approves through the
 * approval core as soon as the request is made; otherwise the rehearsal prints the link and waits for a
 * decision on the page, typed here, or made from another terminal with `dms-orchestrator approve`.
 */
export interface ApprovalDesk {
  /** Where request-approval should point the e-mail's review link (its APPROVAL_BASE_URL). */
  readonly reviewBaseUrl: string;
  /** request-approval has parked the workflow on this approval; `reviewUrl` is the link it e-mailed. */
  requested(request: { approvalId: string; expiresAt: string; reviewUrl?: string }): void;
  close(): Promise<void>;
}

export interface ApprovalDeskOptions {
  autoApprove: boolean;
  emulatorUrl: string;
  tokenTableName: string;
  say(line: string): void;
}

/** Call once the handlers' environment points at the emulator: the page's handler reads it as it loads. */
export async function startApprovalDesk(options: ApprovalDeskOptions): Promise<ApprovalDesk> {
  const page = (require('../../functions/approval-page/handler') as { handler: HttpApiHandler }).handler;
  const api: LocalHttpApi = await serveHttpApi(page, { onError: (error) => options.say(`  ! Approval page failed: ${(error as Error).message}`) });
  let prompt: Interface | undefined;
  const decide = (approvalId: string, decision: 'approve' | 'reject', decidedBy: string, reason?: string) => {
    const clients = { dynamoDb: new DynamoDBClient({}), stepFunctions: new SFNClient({}) };
    decideApproval(clients, { tokenTableName: options.tokenTableName }, { approvalId, decision, decidedBy, reason }, new Date())
      .then((result) => options.say(`  ${describeDecision(approvalId, result).message}`))
      .catch((error: Error) => options.say(`  Could not record the decision: ${error.message}`));
  };
  return {
    reviewBaseUrl: `${api.url}/review`,
    requested({ approvalId, expiresAt, reviewUrl }) {
      if (options.autoApprove) {
        decide(approvalId, 'approve', 'rehearsal --auto-approve');
        return;
      }
      options.say(
        [
          '',
          `  Cutover approval requested (open until ${expiresAt}). Review and decide on the approval page:`,
          `    ${reviewUrl ?? `(no link: approval id ${approvalId})`}`,
          '  or from another terminal:',
          `    AWS_ENDPOINT_URL=${options.emulatorUrl} ${CLIENT_ENVIRONMENT_IN_SHELL} \\`,
          `      npx dms-orchestrator approve ${approvalId} --token-table ${options.tokenTableName} --by "$USER"`,
          ...(process.stdin.isTTY ? ['  or type here: approve | reject <reason>'] : []),
        ].join('\n'),
      );
      if (!process.stdin.isTTY) return;
      prompt = createInterface({ input: process.stdin });
      prompt.on('line', (line) => {
        const [word, ...rest] = line.trim().split(/\s+/);
        if (word !== 'approve' && word !== 'reject') {
          options.say('  Type "approve" or "reject <reason>".');
          return;
        }
        prompt?.close();
        decide(approvalId, word, process.env.USER ?? 'operator', rest.join(' ') || undefined);
      });
    },
    async close() {
      prompt?.close();
      await api.close();
    },
  };
}
