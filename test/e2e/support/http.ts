import { expect } from "vitest";

/** An answer of the API: status, headers, the raw text and the JSON body (undefined when not JSON). */
export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: T;
}

/** Per-request options: a bearer token, extra headers, a JSON body or a raw body. */
export interface RequestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly headers?: Record<string, string>;
  /** Serialized as JSON with `Content-Type: application/json`. */
  readonly json?: unknown;
  /** Sent as is (with whatever content type `headers` says). */
  readonly body?: string;
}

/** RFC 9457 problem body as the API answers errors. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance?: string;
  readonly errors?: readonly { field: string; message: string }[];
}

/** A small HTTP client over fetch for the public API at `baseUrl` (black box: no imports from the services). */
export interface Api {
  readonly baseUrl: string;
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  get<T = unknown>(path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  post<T = unknown>(path: string, json?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
  put<T = unknown>(path: string, json?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
  delete<T = unknown>(path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
}

/** Creates the client. JSON and problem+json bodies are parsed; anything else is left as `text`. */
export function createApi(baseUrl: string): Api {
  const request = async <T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> => {
    const headers = new Headers(options.headers);
    if (options.token !== undefined) headers.set("authorization", `Bearer ${options.token}`);
    let body = options.body;
    if (options.json !== undefined) {
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
      body = JSON.stringify(options.json);
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    const isJson = /^application\/(problem\+)?json/.test(response.headers.get("content-type") ?? "");
    return {
      status: response.status,
      headers: response.headers,
      text,
      body: (isJson ? JSON.parse(text) : undefined) as T,
    };
  };
  return {
    baseUrl,
    request,
    get: (path, options) => request("GET", path, options),
    post: (path, json, options) => request("POST", path, { ...options, json }),
    put: (path, json, options) => request("PUT", path, { ...options, json }),
    delete: (path, options) => request("DELETE", path, options),
  };
}

/**
 * Asserts that `response` is an RFC 9457 problem with `status` and `code` (served as
 * application/problem+json, never a stack trace) and returns its body.
 */
export function expectProblem(response: ApiResponse, status: number, code?: string): Problem {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const problem = response.body as Problem;
  expect(problem).toMatchObject({ status, type: expect.stringMatching(/^urn:souk:problem:/) as unknown });
  if (code !== undefined) expect(problem.code).toBe(code);
  expect(response.text).not.toMatch(/\bat .+\.ts:\d+/);
  return problem;
}
