import type { z } from "zod";

export type Parsed<T> = { ok: true; spec: T } | { ok: false; message: string };

/** Validate a spec read from the API server with its zod schema (defaults applied). */
export function parseSpec<T>(schema: z.ZodType<T>, spec: unknown): Parsed<T> {
  const r = schema.safeParse(spec ?? {});
  if (r.success) return { ok: true, spec: r.data };
  const message = r.error.issues
    .slice(0, 5)
    .map((i) => `spec.${i.path.join(".")}: ${i.message}`)
    .join("; ");
  return { ok: false, message };
}
