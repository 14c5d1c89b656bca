import type { StepJob } from "@leadflow/core/queue/port";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

/**
 * Runs each record of a batch on its own and reports only the ones that threw (`ReportBatchItemFailures`), so
 * SQS redelivers those after the visibility timeout and, past maxReceiveCount, moves them to the DLQ.
 */
export async function consumeRecords(
  event: SQSEvent,
  consume: (record: SQSRecord) => Promise<void>,
): Promise<SQSBatchResponse> {
  const results = await Promise.allSettled(event.Records.map((record) => consume(record)));
  return {
    batchItemFailures: event.Records.flatMap((record, i) =>
      results[i]?.status === "rejected" ? [{ itemIdentifier: record.messageId }] : [],
    ),
  };
}

export const recordContext = (record: SQSRecord) => ({
  message_id: record.messageId,
  receive_count: Number(record.attributes?.ApproximateReceiveCount ?? 0),
});

export const jobContext = (job: StepJob) => ({
  workflow_id: job.workflowId,
  step: job.step,
  run: job.run,
  try: job.try,
});
