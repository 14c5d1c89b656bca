import { describe, expect, it } from "vitest";
import { CATEGORIES, type Category } from "../schemas/classification.ts";
import { PRIORITIES, type Priority, QUEUES, type RoutingDecision } from "../schemas/routing.ts";
import { LOW_CONFIDENCE_THRESHOLD } from "./classify.ts";
import { routeOutput } from "./route.ts";
import {
  ALLOWED_QUEUES,
  applyRoutingRules,
  clampSla,
  DEFAULT_QUEUE,
  type GuardedRouting,
  SLA_BOUNDS,
} from "./routing-rules.ts";

const CONFIDENT = 0.9;

function decision(overrides: Partial<RoutingDecision> = {}): RoutingDecision {
  return {
    queue: "sales",
    priority: "p1",
    sla_minutes: 60,
    recommended_next_action: "Call the lead back with a quote.",
    required_followups: ["Confirm the address"],
    explanation: "A new customer asks for a quote this week.",
    ...overrides,
  };
}

const rulesOf = (result: GuardedRouting) => result.rules_applied.map((r) => r.rule);
const QUEUE_RULES = ["spam_ignored", "queue_default", "queue_not_allowed", "low_confidence_clarification"];

describe("queue rules", () => {
  it("keeps the model's choice for sales_existing when it picks an allowed queue, and says the model decided", () => {
    for (const queue of ["sales", "support"] as const) {
      const result = applyRoutingRules(decision({ queue }), {
        category: "sales_existing",
        confidence: CONFIDENT,
      });
      expect(result.routing_decision.queue).toBe(queue);
      expect(result.decided_by.queue).toBe("model");
      expect(result.rules_applied).toEqual([]);
    }
  });

  it("replaces a queue outside the category's allowed set by the default and records queue_not_allowed", () => {
    const cases: [Category, RoutingDecision["queue"], RoutingDecision["queue"]][] = [
      ["sales_new", "support", "sales"],
      ["sales_existing", "ignore", "sales"],
      ["sales_existing", "needs_clarification", "sales"],
      ["support", "sales", "support"],
      ["unknown", "sales", "needs_clarification"],
    ];
    for (const [category, modelQueue, expected] of cases) {
      const result = applyRoutingRules(decision({ queue: modelQueue }), { category, confidence: CONFIDENT });
      expect(result.routing_decision.queue, `${category} <- ${modelQueue}`).toBe(expected);
      expect(result.decided_by.queue).toBe("rule");
      expect(rulesOf(result)).toEqual(["queue_not_allowed"]);
      expect(result.rules_applied[0]!.detail).toContain(`"${modelQueue}"`);
    }
  });

  it("records queue_default when the category allows one queue and the model agreed", () => {
    for (const category of ["sales_new", "support", "unknown"] as const) {
      const queue = DEFAULT_QUEUE[category];
      const result = applyRoutingRules(decision({ queue }), { category, confidence: CONFIDENT });
      expect(result.routing_decision.queue).toBe(queue);
      expect(result.decided_by.queue).toBe("rule");
      expect(rulesOf(result)).toEqual(["queue_default"]);
    }
  });

  it("forces spam to ignore even when the model said sales with p0, keeping the model's other fields", () => {
    const answer = decision({ queue: "sales", priority: "p0", sla_minutes: 10 });
    const result = applyRoutingRules(answer, { category: "spam", confidence: 0.95 });
    expect(result.routing_decision).toEqual({ ...answer, queue: "ignore" });
    expect(result.decided_by.queue).toBe("rule");
    expect(result.decided_by.priority).toBe("model");
    expect(rulesOf(result)).toEqual(["spam_ignored"]);
    expect(result.rules_applied[0]!.detail).toContain('"sales"');
  });

  it("records spam_ignored even when the model already chose ignore, since the rule settled it", () => {
    const result = applyRoutingRules(decision({ queue: "ignore" }), { category: "spam", confidence: 0.95 });
    expect(result.routing_decision.queue).toBe("ignore");
    expect(rulesOf(result)).toEqual(["spam_ignored"]);
  });

  it("lets spam win over low confidence: spam is always ignored", () => {
    const result = applyRoutingRules(decision({ queue: "sales" }), { category: "spam", confidence: 0.1 });
    expect(result.routing_decision.queue).toBe("ignore");
    expect(rulesOf(result)).toEqual(["spam_ignored"]);
  });

  it("sends a classification below the threshold to needs_clarification, whatever the model chose", () => {
    const justBelow = LOW_CONFIDENCE_THRESHOLD - 0.01;
    for (const category of ["sales_new", "sales_existing", "support", "unknown"] as const) {
      const result = applyRoutingRules(decision({ queue: "sales" }), { category, confidence: justBelow });
      expect(result.routing_decision.queue, category).toBe("needs_clarification");
      expect(result.decided_by.queue).toBe("rule");
      expect(rulesOf(result)).toEqual(["low_confidence_clarification"]);
      expect(result.rules_applied[0]!.detail).toContain(String(justBelow));
    }
  });

  it("does not fire the low-confidence rule at exactly the threshold", () => {
    const result = applyRoutingRules(decision({ queue: "support" }), {
      category: "sales_existing",
      confidence: LOW_CONFIDENCE_THRESHOLD,
    });
    expect(result.routing_decision.queue).toBe("support");
    expect(result.decided_by.queue).toBe("model");
    expect(result.rules_applied).toEqual([]);
  });
});

describe("SLA clamping", () => {
  it.each(PRIORITIES)(
    "clamps %s just outside its bounds and leaves the bounds themselves alone",
    (priority) => {
      const { min, max } = SLA_BOUNDS[priority];
      const route = (sla_minutes: number) =>
        applyRoutingRules(decision({ queue: "support", priority, sla_minutes }), {
          category: "support",
          confidence: CONFIDENT,
        });

      for (const [asked, expected, clamped] of [
        [min - 1, min, true],
        [min, min, false],
        [max, max, false],
        [max + 1, max, true],
      ] as const) {
        const result = route(asked);
        expect(result.routing_decision.sla_minutes, `${priority} ${asked}`).toBe(expected);
        expect(result.decided_by.sla_minutes).toBe(clamped ? "rule" : "model");
        expect(rulesOf(result).includes("sla_clamped")).toBe(clamped);
        if (clamped) {
          const detail = result.rules_applied.find((r) => r.rule === "sla_clamped")!.detail;
          expect(detail).toContain(String(asked));
          expect(detail).toContain(String(expected));
        }
      }
    },
  );

  it("clamps against the model's own priority, so the same SLA can be fine for p2 and too long for p0", () => {
    expect(clampSla("p2", 600)).toBe(600);
    expect(clampSla("p0", 600)).toBe(SLA_BOUNDS.p0.max);
    expect(clampSla("p2", 5)).toBe(SLA_BOUNDS.p2.min);
  });

  it("has sane, ordered windows: each minimum below its maximum, and a tighter window for a higher priority", () => {
    for (const p of PRIORITIES) expect(SLA_BOUNDS[p].min).toBeLessThan(SLA_BOUNDS[p].max);
    expect(SLA_BOUNDS.p0.max).toBeLessThan(SLA_BOUNDS.p1.max);
    expect(SLA_BOUNDS.p1.max).toBeLessThan(SLA_BOUNDS.p2.max);
  });

  it("records a queue rule and the SLA clamp together, queue first", () => {
    const result = applyRoutingRules(decision({ queue: "support", priority: "p0", sla_minutes: 600 }), {
      category: "sales_new",
      confidence: CONFIDENT,
    });
    expect(result.routing_decision).toMatchObject({ queue: "sales", priority: "p0", sla_minutes: 60 });
    expect(rulesOf(result)).toEqual(["queue_not_allowed", "sla_clamped"]);
    expect(result.decided_by).toMatchObject({ queue: "rule", sla_minutes: "rule" });
  });
});

describe("every combination", () => {
  const combos = CATEGORIES.flatMap((category) =>
    QUEUES.flatMap((queue) =>
      PRIORITIES.flatMap((priority: Priority) =>
        [0.2, CONFIDENT].map((confidence) => ({ category, queue, priority, confidence })),
      ),
    ),
  );

  it("lands in an allowed queue, keeps the model's judgement fields, and says who decided what", () => {
    for (const { category, queue, priority, confidence } of combos) {
      const label = `${category}/${queue}/${priority}/${confidence}`;
      const answer = decision({ queue, priority, sla_minutes: 100 });
      const result = applyRoutingRules(answer, { category, confidence });
      const { routing_decision: routed } = result;

      const expectedQueue =
        category === "spam" ? "ignore" : confidence < LOW_CONFIDENCE_THRESHOLD ? "needs_clarification" : null;
      if (expectedQueue) expect(routed.queue, label).toBe(expectedQueue);
      else expect(ALLOWED_QUEUES[category], label).toContain(routed.queue);

      // The model alone judges these: no rule may touch them.
      expect(routed.priority, label).toBe(priority);
      expect(routed.recommended_next_action).toBe(answer.recommended_next_action);
      expect(routed.required_followups).toEqual(answer.required_followups);
      expect(routed.explanation).toBe(answer.explanation);

      const queueRules = rulesOf(result).filter((r) => QUEUE_RULES.includes(r));
      expect(queueRules.length, label).toBe(result.decided_by.queue === "rule" ? 1 : 0);
      expect(rulesOf(result).includes("sla_clamped"), label).toBe(result.decided_by.sla_minutes === "rule");
      expect(
        routeOutput.safeParse({ ...result, model: "m", prompt_version: "route@test" }).success,
        label,
      ).toBe(true);
    }
  });
});
