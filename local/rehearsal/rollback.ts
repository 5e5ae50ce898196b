import type { RowDataPacket } from 'mysql2/promise';
import { withMysql, type DatabaseCredentials } from '../../functions/shared/mysql';
import type { LocalExecution } from '../workflow/execute';
import type { StackAuthorizer } from '../iam';
import { cutoverStepLines, iamSummary, stateTimingLines } from './summary';

/**
 * `rehearse --rollback`: after the cutover, orders placed on the new primary (the target) as an application
 * would, then the second execution (`mode: "rollback"`) that brings the applications back to the source. The
 * way back is proved when those orders are on the source and the endpoint parameter names the source again.
 */
export const ORDERS_AFTER_CUTOVER = 3;

/** Places orders on the target after the last one, as the application would once it writes there; their ids. */
export async function placeOrdersOnTarget(target: DatabaseCredentials, database: string): Promise<number[]> {
  return withMysql(target, 'target', async (connection) => {
    const [[{ lastId }]] = await connection.query<RowDataPacket[]>(`SELECT COALESCE(MAX(id), 0) AS lastId FROM \`${database}\`.orders`);
    const ids = Array.from({ length: ORDERS_AFTER_CUTOVER }, (_, index) => Number(lastId) + 1 + index);
    await connection.query(`INSERT INTO \`${database}\`.orders (id, customer_id, status, note) VALUES ?`, [
      ids.map((id) => [id, 1, 'placed', 'placed on the target after the cutover']),
    ]);
    return ids;
  });
}

/** Which of these orders the source holds. */
export async function ordersOnSource(source: DatabaseCredentials, database: string, ids: number[]): Promise<number[]> {
  return withMysql(source, 'source', async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>(`SELECT id FROM \`${database}\`.orders WHERE id IN (?) ORDER BY id`, [ids]);
    return rows.map((row) => Number(row.id));
  });
}

export interface RollbackFacts {
  execution: LocalExecution;
  stateTimings: Array<{ state: string; at: number }>;
  placedOnTarget: number[];
  foundOnSource: number[];
  /** The endpoint parameter's value after the rollback, and the source's address it must name. */
  publishedEndpoint?: string;
  sourceAddress: string;
}

export function rollbackSummary(facts: RollbackFacts, outcome: { exitCode: number; reason?: string }, authorizer: StackAuthorizer | undefined): string {
  const finishedAt = Date.now();
  const rollbackSteps = stateTimingLines(facts.stateTimings, finishedAt, { nameWidth: 46, include: (state) => state.startsWith('Roll back') });
  const lines = [outcome.exitCode === 0 ? 'Rollback succeeded: the applications are back on the source.' : `Rollback FAILED: ${outcome.reason}`, '', 'Rollback steps:', ...rollbackSteps];
  const output = facts.execution.output ?? {};
  const proof = output.catchUp as Record<string, unknown> | undefined;
  if (proof) lines.push('', ...cutoverStepLines('Catch-up proof', 'catch-up', proof, output));
  lines.push(
    '',
    `Orders placed on the target after the cutover: ${facts.placedOnTarget.join(', ')}; on the source after the rollback: ${facts.foundOnSource.join(', ') || 'none'}`,
    `Endpoint published: ${facts.publishedEndpoint ?? '(not set)'} (the source is ${facts.sourceAddress})`,
    // The migration and the rollback share one authorizer: the figures cover the whole rehearsal.
    ...iamSummary(authorizer),
  );
  return lines.join('\n');
}
