/**
 * The token table's time-to-live attribute: DynamoDB deletes an item some time after the epoch second it
 * holds. Items that only matter while a workflow waits (full-load waits, approval requests) carry it; a run
 * lock and a cutover record never do, since expiring a held lock would let a second run in, and a rollback
 * needs the cutover record for as long as the migration exists.
 */
export const TOKEN_TABLE_TTL_ATTRIBUTE = 'ttl';

/** The TTL value for an item that may go `retentionSeconds` after `now`. */
export function expiresAfter(now: Date, retentionSeconds: number): number {
  return Math.floor(now.getTime() / 1000) + retentionSeconds;
}
