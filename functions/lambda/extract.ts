import { createStepConsumer } from "./step-consumer.ts";

/** Lambda entry: the SQS consumer of the extract queue (partial batch responses). */
export const handler = createStepConsumer("extract");
