/* This server's GraphQL API (POST /graphql, same origin).
 *
 * When the server needs an API key (for reads with PATHRANK_API_KEY_FOR_READS, or for a
 * mutation), the dashboard asks for it once and keeps it in sessionStorage (this tab only,
 * gone when it closes), sending it as X-API-Key. */

const ENDPOINT = "/graphql";
export const KEY_STORAGE = "pathrank-api-key";

export class ApiError extends Error {}

/** The server wants an API key (none was stored, or the stored one was refused). */
export class KeyNeeded extends ApiError {}

let current = null;

export function storedKey() {
  if (current) return current;
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch (err) {
    return null; // storage disabled: the key is asked for again on each load
  }
}

export function storeKey(key) {
  current = key;
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch (err) {
    // storage disabled: the key lasts as long as this page
  }
}

/** POST a query; the data, or an ApiError with the server's message. */
export async function gql(query, variables) {
  const headers = { "content-type": "application/json", accept: "application/json" };
  const key = storedKey();
  if (key) headers["x-api-key"] = key;
  let response;
  try {
    response = await fetch(ENDPOINT, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch (err) {
    throw new ApiError(`cannot reach the server (${err.message})`);
  }
  if (response.status === 401) {
    storeKey(null);
    throw new KeyNeeded(key ? "The API key was not accepted." : "This server needs an API key.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch (err) {
    throw new ApiError(`the server answered ${response.status} ${response.statusText}`.trim());
  }
  const errors = (body && body.errors) || [];
  if (errors.some((e) => e.extensions && e.extensions.code === "UNAUTHENTICATED")) {
    storeKey(null);
    throw new KeyNeeded(key ? "The API key was not accepted." : "Changing the work queue needs the API key.");
  }
  if (errors.length || !body || !body.data) {
    const message = errors.map((e) => e.message).join("; ");
    throw new ApiError(message || `the server answered ${response.status}`);
  }
  return body.data;
}
