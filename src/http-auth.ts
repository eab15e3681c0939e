import { createHash, timingSafeEqual } from "node:crypto";

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** Constant-time comparison of a secret: equal-length digests, so neither length nor prefix leaks. */
export const sameSecret = (given: string, expected: string): boolean =>
  timingSafeEqual(digest(given), digest(expected));

/** The user and password of an `Authorization: Basic …` value, or undefined when it is not one. */
export function basicCredentials(header: string | undefined): BasicCredentials | undefined {
  const match = /^\s*Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Basic credentials checked in constant time (both parts always compared). */
export function basicAuthorized(header: string | undefined, username: string, password: string): boolean {
  const given = basicCredentials(header);
  const userOk = sameSecret(given?.username ?? "", username);
  const passwordOk = sameSecret(given?.password ?? "", password);
  return given !== undefined && userOk && passwordOk;
}

export interface BasicCredentials {
  username: string;
  password: string;
}

/** The `Authorization` header a client sends with these credentials; none without credentials. */
export const basicAuthHeaders = (credentials: BasicCredentials | undefined): Record<string, string> =>
  credentials
    ? {
        authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`,
      }
    : {};

/**
 * GET `route` (relative, e.g. `api/v1/state`) below an exporter's base URL with the scrape credentials;
 * an exporter that does not answer within 10 s fails the read instead of holding a page or a digest.
 */
export const fetchFromExporter = (
  baseUrl: string,
  route: string,
  credentials: BasicCredentials | undefined,
  query?: Record<string, string>,
): Promise<Response> => {
  const url = new URL(route, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  if (query) url.search = new URLSearchParams(query).toString();
  return fetch(url, { headers: basicAuthHeaders(credentials), signal: AbortSignal.timeout(10_000) });
};
