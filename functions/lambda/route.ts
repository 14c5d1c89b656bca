import { createStepConsumer } from "./step-consumer.ts";

/** Lambda entry: the SQS consumer of the route queue (partial batch responses). */
export const handler = createStepConsumer("route");
