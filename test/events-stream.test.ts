import { leadChangeHub } from "@leadflow/core/live/lead-changes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_UNSENT_CHANGES } from "../functions/api/routes/events-stream.ts";
import { sampleLead } from "./support/api.ts";
import { fileEnv } from "./support/isolation.ts";
import { type Pipeline, startPipeline } from "./support/pipeline.ts";
import { waitFor } from "./support/wait.ts";

let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline("events-stream");
});
afterAll(() => pipeline.close());

/** An open GET /events/stream, read as it arrives: its `lead` events, and whether the server ended it. */
async function openStream(token: string) {
  const res = await pipeline.api.app.request("/events/stream", {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: { id: string; status: string; handling_state: string; at: number }[] = [];
  let text = "";
  let ended = false;
  let reading = true;
  let connected = false;
  const pump = (async () => {
    while (reading) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        return;
      }
      connected = true;
      text += decoder.decode(value, { stream: true });
      let cut = text.indexOf("\n\n");
      while (cut >= 0) {
        const block = text.slice(0, cut);
        text = text.slice(cut + 2);
        if (block.startsWith("event: lead\n")) {
          events.push({ ...JSON.parse(block.split("\n")[1]!.slice("data: ".length)), at: Date.now() });
        }
        cut = text.indexOf("\n\n");
      }
    }
  })();
  // The stream is live once its first comment has arrived.
  await waitFor(async () => (connected ? true : undefined), 5_000, "the stream");
  return {
    events,
    ended: () => ended,
    reader,
    async close() {
      reading = false;
      await reader.cancel();
      await pump.catch(() => {});
    },
  };
}

describe("GET /events/stream", () => {
  it("sends the caller's lead changes as they happen, and nothing of another user's", async () => {
    const owner = await pipeline.api.signup();
    const other = await pipeline.api.signup();
    const mine = await openStream(owner.token);
    const theirs = await openStream(other.token);
    try {
      const id = await pipeline.submit(owner.token, sampleLead());
      await pipeline.waitForTerminal(owner.token, id);
      const completed = await waitFor(
        async () => mine.events.find((e) => e.id === id && e.status === "completed"),
        5_000,
        "the completion event",
      );
      expect(completed).toMatchObject({ id, handling_state: "open" });
      await pipeline.api.call("POST", `/leads/${id}/handling`, {
        token: owner.token,
        body: { state: "answered" },
      });
      await waitFor(
        async () => mine.events.find((e) => e.handling_state === "answered"),
        5_000,
        "the handling event",
      );

      // The other user's own change arrives; the owner's never did.
      const theirId = await pipeline.submit(other.token, sampleLead());
      await waitFor(async () => theirs.events.find((e) => e.id === theirId), 5_000, "the other user's event");
      expect(theirs.events.every((e) => e.id === theirId)).toBe(true);
      expect(mine.events.every((e) => e.id === id)).toBe(true);
      const keys = Object.keys(completed).sort();
      expect(keys).toEqual(["at", "handling_state", "id", "status"]);
    } finally {
      await mine.close();
      await theirs.close();
    }
  });

  it("needs a token", async () => {
    const res = await pipeline.api.app.request("/events/stream");
    expect(res.status).toBe(401);
  });

  it("a dropped client reconnects and catches up by reloading the lead", async () => {
    const { token } = await pipeline.api.signup();
    const id = await pipeline.submit(token, sampleLead());
    await pipeline.waitForTerminal(token, id);
    const first = await openStream(token);
    await first.close();
    await pipeline.api.call("POST", `/leads/${id}/handling`, { token, body: { state: "closed" } });
    const again = await openStream(token);
    try {
      const reloaded = await pipeline.api.call("GET", `/leads/${id}`, { token });
      expect(reloaded.json.handling.state).toBe("closed");
      await pipeline.api.call("POST", `/leads/${id}/handling`, { token, body: { state: "open" } });
      await waitFor(
        async () => again.events.find((e) => e.handling_state === "open"),
        5_000,
        "the next change",
      );
    } finally {
      await again.close();
    }
  });

  it("drops a client that stops reading instead of buffering for it without bound", {
    timeout: 120_000,
  }, async () => {
    const { token } = await pipeline.api.signup();
    const id = await pipeline.submit(token, sampleLead());
    await pipeline.waitForTerminal(token, id);
    const hub = leadChangeHub(fileEnv("DATABASE_URL"));
    const before = hub.subscribers;
    const res = await pipeline.api.app.request("/events/stream", {
      headers: { authorization: `Bearer ${token}` },
    });
    const reader = res.body!.getReader();
    await reader.read();
    await waitFor(async () => (hub.subscribers > before ? true : undefined), 5_000, "the subscription");
    // Never read again, while far more changes than a stream may hold unsent are made.
    for (let i = 0; i < MAX_UNSENT_CHANGES + 50; i++) {
      const state = i % 2 === 0 ? "closed" : "open";
      await pipeline.api.call("POST", `/leads/${id}/handling`, { token, body: { state } });
    }
    await waitFor(
      async () => (hub.subscribers === before ? true : undefined),
      20_000,
      "the slow client to be dropped",
    );
    let chunks = 0;
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
      chunks++;
    }
    expect(chunks).toBeLessThan(MAX_UNSENT_CHANGES + 50);
  });
});
