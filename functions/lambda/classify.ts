import { createStepConsumer } from "./step-consumer.ts";

/** Lambda entry: the SQS consumer of the classify queue (partial batch responses). */
export const handler = createStepConsumer("classify");
