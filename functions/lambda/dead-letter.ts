import { createDeadLetterConsumer } from "./dead-letter-consumer.ts";

/** Lambda entry: the consumer of every step queue's dead-letter queue. */
export const handler = createDeadLetterConsumer();
