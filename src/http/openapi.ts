/**
 * Builds the OpenAPI 3.1 document from the same zod schemas the routes validate with
 * (zod 4's toJSONSchema; OpenAPI 3.1 schemas are JSON Schema 2020-12).
 */
import { z } from 'zod';
import type { Schemas } from './schemas.ts';

export interface RouteDoc {
  method: 'get' | 'post' | 'delete';
  /** OpenAPI style: /v1/jobs/{id} */
  path: string;
  summary: string;
  body?: z.ZodType;
  params?: z.ZodObject;
  query?: z.ZodObject;
  response?: z.ZodType;
  /** media type of the 200 response when it is not JSON */
  produces?: string;
  /** the 2xx status; 200 unless given */
  okStatus?: number;
  /** error statuses this route can answer */
  errors: number[];
}

const jsonSchema = (s: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

function parameters(obj: z.ZodObject | undefined, where: 'path' | 'query') {
  if (!obj) return [];
  return Object.entries(obj.shape).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || !(schema as z.ZodType).safeParse(undefined).success,
    schema: jsonSchema(schema as z.ZodType, 'input'),
  }));
}

export function buildOpenApi(schemas: Schemas, routes: RouteDoc[], version: string) {
  const problemSchema = jsonSchema(schemas.problem, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const responses: Record<string, unknown> = {
      [String(r.okStatus ?? 200)]: {
        description: 'success',
        content: r.produces
          ? { [r.produces]: {} }
          : { 'application/json': r.response ? { schema: jsonSchema(r.response, 'output') } : {} },
      },
    };
    for (const status of r.errors) {
      responses[String(status)] = {
        description: 'RFC 9457 problem',
        content: { 'application/problem+json': { schema: problemSchema } },
      };
    }
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'distillery',
      version,
      description:
        'Soft labels, causal-LM sequence log-probs (also as a TRL teacher server), augmentation and distillation datasets over HTTP.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }, {}],
    paths,
  };
}
