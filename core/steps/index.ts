import type { StepName } from "../schemas/workflow.ts";
import { classifyStep } from "./classify.ts";
import { extractStep } from "./extract.ts";
import { routeStep } from "./route.ts";
import type { StepDefinition } from "./types.ts";

/** Any step with its types erased: what a runner that handles every step by name works with. */
export type AnyStepDefinition = StepDefinition<unknown, unknown, unknown>;

export const STEPS = {
  classify: classifyStep,
  extract: extractStep,
  route: routeStep,
} as const satisfies Record<StepName, AnyStepDefinition>;
export type Steps = typeof STEPS;

/**
 * The definition of one step: precisely typed for a literal name, type-erased for any `StepName` (a union of
 * the three definitions could not be called with one input, so a generic runner gets `AnyStepDefinition`).
 */
export type StepDefinitionOf<Name extends StepName> = StepName extends Name ? AnyStepDefinition : Steps[Name];

export function stepDefinition<Name extends StepName>(name: Name): StepDefinitionOf<Name> {
  return STEPS[name] as StepDefinitionOf<Name>;
}
