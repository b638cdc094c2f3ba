import { CountdError } from './countd-error.js';

/** The producer's bounded buffer is full: the queue is not keeping up or is unreachable. */
export class ProducerFullError extends CountdError {
  readonly pendingIncrements: number;

  constructor(pendingIncrements: number, limit: number) {
    super(
      `producer buffer full: ${pendingIncrements} increments waiting for the queue (limit ${limit}); ` +
        'retry later or raise maxPendingIncrements',
    );
    this.pendingIncrements = pendingIncrements;
  }
}
