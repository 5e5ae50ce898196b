import type { Mode } from './migration-input';

/**
 * What a person is asked to approve, in the words the approval e-mails and the review page use. The request
 * carries the execution's mode: `migrate` asks for the cutover, `rollback` for switching the applications back
 * (which freezes the database they use now: said in capitals, never to be mistaken for the cutover),
 * `complete` for removing the way back.
 */
export interface ApprovalPurpose {
  /** What is approved, as a heading says it: "cutover", "ROLLBACK". */
  name: string;
  /** The request e-mail's subject. */
  requestSubject: string;
  /** What approving does, naming the database whose writes are frozen. */
  effect: string;
  /** What stays as it is while nobody approves, or after a rejection. */
  untilApproved: string;
  /** What to do once the request expired or was rejected. */
  next: string;
}

/** A wave's migrations are prepared, then cut over once the wave is approved: the same cutover, asked for once for the wave. */
const CUTOVER_PURPOSE: ApprovalPurpose = {
  name: 'cutover',
  requestSubject: 'cutover approval needed',
  effect:
    'The workflow re-checks the cutover gate (CDC latency, validation, tables); with database access it freezes source writes and proves the target has every write before it snapshots the target, stops replication and publishes the target endpoint.',
  untilApproved: 'Nothing is cut over; replication keeps running, so no data is lost.',
  next: 'Start the migration again when you are ready to cut over: it resumes the running task (nothing is reloaded) and sends a new approval e-mail.',
};

export const APPROVAL_PURPOSES: Record<Mode, ApprovalPurpose> = {
  migrate: CUTOVER_PURPOSE,
  prepare: CUTOVER_PURPOSE,
  cutover: CUTOVER_PURPOSE,
  rollback: {
    name: 'ROLLBACK',
    requestSubject: 'ROLLBACK approval needed: freezes the TARGET',
    effect:
      'ROLLBACK: the workflow re-checks the way back (reverse replication: a DMS task or DMS Serverless replication config), then freezes TARGET writes (read_only on the database the applications use now), proves the source has every target write, stops reverse replication, publishes the source endpoint again and gives the source its writes back.',
    untilApproved: 'Nothing is frozen or switched: applications stay on the target, and reverse replication keeps the source in step.',
    next: 'Start the rollback again when you are ready to switch back: it sends a new approval e-mail.',
  },
  complete: {
    name: 'removal of the way back',
    requestSubject: 'approval needed to remove the way back',
    effect: 'The workflow stops and deletes the way back (the reverse DMS task or replication config): the source no longer receives the target’s writes, and a rollback is no longer possible.',
    untilApproved: 'The way back stays: reverse replication keeps carrying the target’s writes to the source.',
    next: 'Start the execution with "mode": "complete" again when you are ready to remove the way back.',
  },
};

/** "Cutover", "ROLLBACK": the purpose's name at the start of a sentence or a heading. */
export function capitalized(name: string): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/** The purpose of a request; records and events from before requests named it were cutover requests. */
export function approvalPurpose(mode: Mode | undefined): ApprovalPurpose {
  return APPROVAL_PURPOSES[mode ?? 'migrate'];
}
