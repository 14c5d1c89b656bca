import { SQSClient } from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";

/** fauxqs in this process, and the real AWS SDK pointed at it (the tests read the queues as a consumer would). */
export async function startFauxqsWithClient() {
  const server = await startFauxqs({ port: 0, logger: false });
  const client = new SQSClient({
    region: "us-east-1",
    endpoint: server.address,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  return { server, client };
}
