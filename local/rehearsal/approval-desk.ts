import { createInterface } from 'node:readline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { decideApprovalThroughTokenTable } from '../../cli/approval-decision';
import type { PublishedMessage } from '../emulator/services';

/**
 * Where the rehearsal's cutover approval is decided. `--auto-approve` approves as soon as it is asked;
 * otherwise the review link is printed and the rehearsal waits for a decision typed here, or made from
 * another terminal with the CLI against the emulator. The approval page itself is not served yet: once
 * functions/approval-page and its local HTTP adapter exist, this desk starts the adapter and points
 * APPROVAL_BASE_URL at it, and the printed link becomes the real local review page.
 */
export interface ApprovalDesk {
  /** request-approval has parked the workflow on this approval. */
  requested(request: { approvalId: string; expiresAt: string }, messages: PublishedMessage[]): void;
  close(): Promise<void>;
}

export interface ApprovalDeskOptions {
  autoApprove: boolean;
  emulatorUrl: string;
  tokenTableName: string;
  say(line: string): void;
}

export async function startApprovalDesk(options: ApprovalDeskOptions): Promise<ApprovalDesk> {
  let prompt: ReturnType<typeof createInterface> | undefined;
  const decide = (approvalId: string, decision: 'approve' | 'reject', decidedBy: string, reason?: string) => {
    // Built here, not earlier: the clients must read the environment that points them at the emulator.
    const clients = { dynamoDb: new DynamoDBClient({}), stepFunctions: new SFNClient({}) };
    decideApprovalThroughTokenTable(clients, options.tokenTableName, { approvalId, decision, decidedBy, reason })
      .then(({ status }) => options.say(`  Approval ${status} by ${decidedBy}.`))
      .catch((error: Error) => options.say(`  Could not record the decision: ${error.message}`));
  };
  return {
    requested({ approvalId, expiresAt }, messages) {
      if (options.autoApprove) {
        decide(approvalId, 'approve', 'rehearsal --auto-approve');
        return;
      }
      const request = [...messages].reverse().find((message) => message.attributes.kind === 'approval-request');
      const reviewUrl = /https?:\/\/\S+/.exec(request?.message ?? '')?.[0];
      options.say(
        [
          '',
          `  Cutover approval requested (approval id ${approvalId}, open until ${expiresAt}).`,
          `  Review link from the e-mail: ${reviewUrl ?? '(none)'} (the approval page is not served locally yet)`,
          '  Decide from another terminal:',
          `    AWS_ENDPOINT_URL=${options.emulatorUrl} AWS_REGION=eu-west-1 AWS_ACCESS_KEY_ID=rehearsal AWS_SECRET_ACCESS_KEY=rehearsal \\`,
          `      npx dms-orchestrator approve ${approvalId} --token-table ${options.tokenTableName} --by "$USER"`,
          process.stdin.isTTY ? '  or type here: approve | reject <reason>' : '',
        ].join('\n'),
      );
      if (!process.stdin.isTTY) return;
      prompt = createInterface({ input: process.stdin });
      prompt.on('line', (line) => {
        const [word, ...rest] = line.trim().split(/\s+/);
        if (word === 'reject' && rest.length === 0) {
          options.say('  A rejection needs a reason: reject <reason>.');
        } else if (word === 'approve' || word === 'reject') {
          prompt?.close();
          decide(approvalId, word, process.env.USER ?? 'operator', rest.join(' ') || undefined);
        } else {
          options.say('  Type "approve" or "reject <reason>".');
        }
      });
    },
    async close() {
      prompt?.close();
    },
  };
}
