import { createInterface, type Interface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { describeDecision } from '../../cli/approval-commands';
import { decideApproval } from '../../functions/approval-page/decide';
import { readableTime } from '../../functions/shared/operator-text';
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
  /** `subject`: the approval e-mail's, which says what is asked for (the cutover, a ROLLBACK). */
  requested(request: { approvalId: string; expiresAt: string; reviewUrl?: string; subject?: string }): void;
  close(): Promise<void>;
}

export interface ApprovalDeskOptions {
  autoApprove: boolean;
  /** The input's approvers (`approval.approvers`): --auto-approve approves as them, and the page sends them codes. */
  approvers?: string[];
  emulatorUrl: string;
  tokenTableName: string;
  say(line: string): void;
  /** The page's handler, as a stack's own function would run it. @default the approval page loaded under the environment as it is */
  page?: HttpApiHandler;
}

/** Call once the handlers' environment points at the emulator: the page's handler reads it as it loads. */
export async function startApprovalDesk(options: ApprovalDeskOptions): Promise<ApprovalDesk> {
  const page = options.page ?? (require('../../functions/approval-page/handler') as { handler: HttpApiHandler }).handler;
  const api: LocalHttpApi = await serveHttpApi(page, { onError: (error) => options.say(`  ! Approval page failed: ${(error as Error).message}`) });
  let prompt: Interface | undefined;
  const clients = () => ({ dynamoDb: new DynamoDBClient({}), stepFunctions: new SFNClient({}) });
  const decide = (approvalId: string, decision: 'approve' | 'reject', decidedBy: string, reason?: string) =>
    decideApproval(clients(), { tokenTableName: options.tokenTableName }, { approvalId, decision, decidedBy, verifiedBy: 'aws-credentials', reason }, new Date())
      .then((result) => {
        options.say(`  ${describeDecision(approvalId, result).message}`);
        return result;
      })
      .catch((error: Error) => {
        options.say(`  Could not record the decision: ${error.message}`);
        return undefined;
      });
  // As an operator with AWS credentials would (the CLI's path): once, or twice under two names where the
  // request needs two approvals.
  const autoApprove = async (approvalId: string) => {
    const [first, second] = options.approvers ?? [];
    const result = await decide(approvalId, 'approve', first ?? 'rehearsal --auto-approve');
    if (result?.outcome === 'approval-recorded') await decide(approvalId, 'approve', second ?? 'rehearsal --auto-approve (second approver)');
  };
  return {
    reviewBaseUrl: `${api.url}/review`,
    requested({ approvalId, expiresAt, reviewUrl, subject }) {
      if (options.autoApprove) {
        void autoApprove(approvalId);
        return;
      }
      options.say(
        [
          '',
          ...(reviewUrl
            ? [
                `  ${subject ?? 'Approval requested'} (open until ${readableTime(expiresAt)}). Review and decide on the approval page:`,
                `    ${reviewUrl}`,
                ...(options.approvers
                  ? [`  Choose one of ${options.approvers.join(', ')} there and send yourself a code: its e-mail is printed here (and written to the outbox).`]
                  : []),
                '  or from another terminal:',
              ]
            : [`  ${subject ?? 'Approval requested'} (open until ${readableTime(expiresAt)}). Decide from another terminal:`]),
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
        void decide(approvalId, word, process.env.USER ?? 'operator', rest.join(' ') || undefined);
      });
    },
    async close() {
      prompt?.close();
      await api.close();
    },
  };
}
