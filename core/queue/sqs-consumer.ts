import { type ConsumerEvents, consumerEvents, type StepJob, type StepQueue } from "./port.ts";
import { NOT_BEFORE_ATTRIBUTE, parseStepJob, remainingDelayMs } from "./sqs.ts";

/** A received SQS message, in the shape Lambda's SQS event records carry it. */
export interface SqsMessage {
  messageId: string;
  body: string;
  attributes?: { SentTimestamp?: string };
  messageAttributes?: Record<string, { stringValue?: string } | undefined>;
}

/** What became of one message: its job ran (with what the handler answered), or it was not due yet and went back. */
export type SqsConsumeResult<Outcome> = { job: StepJob; ran: Outcome } | { job: StepJob; sentOnMs: number };

export interface SqsStepConsumer<Outcome> extends ConsumerEvents<StepJob> {
  /**
   * Consumes one message. Throws when the message must come back (the handler threw) or can never be a job (a
   * poison body); SQS then redelivers it until its receive count sends it to the dead-letter queue.
   */
  consume(message: SqsMessage): Promise<SqsConsumeResult<Outcome>>;
}

/**
 * The SQS adapter's consumer side: whoever receives the messages (Lambda's event source mapping, on AWS), each
 * delivery is parsed, held back while a delay longer than SQS's 15 minutes is still running, handed to
 * `handler`, and reported through the same events as the BullMQ workers'. The enqueue time is SQS's own
 * `SentTimestamp`.
 */
export function createSqsStepConsumer<Outcome>(options: {
  /** Where a message that is not due yet is sent on. */
  queue: StepQueue;
  handler: (job: StepJob) => Promise<Outcome>;
  now?: () => number;
}): SqsStepConsumer<Outcome> {
  const now = options.now ?? Date.now;
  const events = consumerEvents<StepJob>();
  return {
    ...events.listen,
    async consume(message) {
      let job: StepJob;
      try {
        job = parseStepJob(message.body);
      } catch (err) {
        events.failed(err as Error, undefined);
        throw err;
      }
      const delivery = { job, enqueuedAt: Number(message.attributes?.SentTimestamp ?? now()) };
      let outcome: Outcome;
      try {
        const waitMs = remainingDelayMs(
          message.messageAttributes?.[NOT_BEFORE_ATTRIBUTE]?.stringValue,
          now(),
        );
        if (waitMs > 0) {
          await options.queue.enqueue(job, { delayMs: waitMs });
          return { job, sentOnMs: waitMs };
        }
        outcome = await options.handler(job);
      } catch (err) {
        events.failed(err as Error, delivery);
        throw err;
      }
      events.completed(delivery);
      return { job, ran: outcome };
    },
  };
}
